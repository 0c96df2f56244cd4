"""End a browser session's app process once nobody is on the other end.

Under `lambda-tutor serve`, each browser gets an app process whose standard input is a pipe from
the server. textual-serve can lose track of a process whose browser left during start-up, and
such a process may run on (at full CPU) with nobody to see it. So the process watches for itself:
when the server closes that pipe, or the server itself is gone, the app is asked to exit
(SIGTERM, which Textual's web driver turns into a clean exit), and if it has not gone a few
seconds later it ends at once. Standard library only: this runs before Textual is imported.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time

# Seconds between checks for a server that vanished without closing the pipe.
POLL_S = 0.5
# Seconds the app gets to exit cleanly before the process ends without it.
GRACE_S = 3.0


def exit_when_orphaned(
    *, stdin_fd: int = 0, poll_s: float = POLL_S, grace_s: float = GRACE_S
) -> threading.Thread | None:
    """Start the watchdog thread; None where the platform cannot watch a pipe this way."""
    if not hasattr(select, "poll"):
        return None
    parent = os.getppid()
    thread = threading.Thread(
        target=_watch, args=(stdin_fd, parent, poll_s, grace_s), name="browser-watchdog", daemon=True
    )
    thread.start()
    return thread


def _watch(stdin_fd: int, parent: int, poll_s: float, grace_s: float) -> None:
    poller = select.poll()
    # No events asked for: the app's own reader consumes the input, and a poll still reports a
    # hang-up (all writers closed) or an error on the descriptor.
    poller.register(stdin_fd, 0)
    gone = select.POLLHUP | select.POLLERR | select.POLLNVAL
    while True:
        if any(mask & gone for _, mask in poller.poll(poll_s * 1000)):
            break
        if os.getppid() != parent:
            break
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(grace_s)
    os._exit(0)
