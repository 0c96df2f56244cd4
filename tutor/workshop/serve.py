"""The server behind `lambda-tutor serve`: textual-serve, with every session's process accounted for.

textual-serve starts one app process per browser. When a browser leaves, it asks that process to
quit and waits for it, however long that takes; a browser that leaves during start-up can leave
a process behind with nobody to see it. Here a session's end is enforced: ask the app to quit,
close its input (its own watchdog, `tutor.workshop.watchdog`, notices), and if it is still there
after a short grace, terminate it, then kill it. Imported only once `lambda-tutor serve` has
checked that textual-serve is installed; never imports Textual itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger("lambda-tutor.serve")

# Seconds a session's app gets to quit by itself once its browser is gone.
QUIT_GRACE_S = 1.0
# Seconds between SIGTERM and SIGKILL.
KILL_AFTER_S = 3.0


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def session_command(packs: Sequence[str | Path], *, roster: bool = False) -> str:
    """The shell command textual-serve runs per browser.

    `exec` makes the app the server's direct child, so ending that process ends the app rather
    than a shell in between.
    """
    parts = [sys.executable, "-m", "tutor.commands.serve", "--session"]
    for pack in packs:
        parts += ["--content", str(Path(pack).resolve())]
    if roster:
        parts.append("--roster")
    if os.name != "posix":
        return subprocess.list2cmdline(parts)
    return "exec " + shlex.join(parts)


async def _exited(process: asyncio.subprocess.Process, within_s: float) -> bool:
    try:
        await asyncio.wait_for(process.wait(), within_s)
    except TimeoutError:
        return False
    return True


async def end_session(service: AppService) -> None:
    """Make sure a session's app process is gone, whatever state it is in."""
    process = service._process  # textual-serve keeps the process here; it offers no other handle
    if process is None:
        return
    if process.returncode not in (None, 0):
        log.warning(
            "a session's app stopped by itself with exit status %s (its errors are shown above)",
            process.returncode,
        )
    with contextlib.suppress(Exception):
        await service._download_manager.cancel_app_downloads(app_service_id=service.app_service_id)
    if process.returncode is None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(service.send_meta({"type": "quit"}), QUIT_GRACE_S)
        if process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()
        if not await _exited(process, QUIT_GRACE_S):
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            if not await _exited(process, KILL_AFTER_S):
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    task = service._task
    if task is not None:
        # The reader ends once the process's output closes; it must not outlive the session.
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, KILL_AFTER_S)
        service._task = None


def _not_our_own_endings(record: logging.LogRecord) -> bool:
    # textual-serve says "failed to start" of every process ended before its first frame, which
    # is what ending the session of a browser that left during start-up does. A process that
    # fails by itself is reported by `end_session` instead.
    return record.getMessage() != "Application failed to start"


class TutorServer(Server):
    def __init__(
        self, host: str, port: int, packs: Sequence[str | Path] = (), *, roster: bool = False
    ) -> None:
        super().__init__(session_command(packs, roster=roster), host=host, port=port, title="lambda-tutor")
        self.endings: set[asyncio.Task] = set()

    def initialize_logging(self) -> None:
        # One line per request would bury the warnings an instructor needs to see.
        logging.basicConfig(level=logging.WARNING, format="lambda-tutor serve: %(message)s")
        logging.getLogger("textual-serve").addFilter(_not_our_own_endings)

    async def on_startup(self, app: web.Application) -> None:
        self.console.print(
            f"lambda-tutor: serving the course on {self.public_url}  (Ctrl+C stops)", highlight=False
        )

    async def on_shutdown(self, app: web.Application) -> None:
        if self.endings:
            await asyncio.gather(*self.endings, return_exceptions=True)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's handler, but the session's process always ends with the connection."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: AppService | None = None

        async def close() -> None:
            await websocket.close()

        try:
            await websocket.prepare(request)
            service = AppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            pass
        except Exception as error:
            log.warning("a browser session ended with an error: %s", error)
        finally:
            if service is not None:
                # Shielded and remembered: even if this handler is cancelled again, the ending completes.
                ending = asyncio.ensure_future(end_session(service))
                self.endings.add(ending)
                ending.add_done_callback(self.endings.discard)
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(ending)
            with contextlib.suppress(Exception):
                await websocket.close()
        return websocket
