"""A real `lambda-tutor serve` process on a free loopback port, for the tests of browser mode."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> set[int]:
    """Every live descendant of `pid` (zombies, already dead, are not counted)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def wait_for(condition: Callable[[], object], seconds: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")


@dataclass
class Served:
    process: subprocess.Popen
    port: int
    banner: list[str] = field(default_factory=list)

    def sessions(self) -> set[int]:
        return children_of(self.process.pid)


def start(home: Path, *options: str, port: int | None = None, preexec_fn=None) -> Served:
    """Start the server and read its start-up lines up to the one that says how many it takes."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tutor", "serve", "--port", str(port), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "LAMBDA_TUTOR_HOME": str(home)},
        # Only to set a resource limit in the child; the test process starts no threads that fork.
        preexec_fn=preexec_fn,  # noqa: PLW1509
    )
    served = Served(process, port)
    assert process.stdout is not None
    for line in process.stdout:
        served.banner.append(line.rstrip("\n"))
        if "learners at a time" in line:
            return served
    process.wait()
    raise AssertionError("the server stopped before it listened:\n" + "\n".join(served.banner))


def stop(served: Served, sig: int = signal.SIGINT) -> None:
    process = served.process
    leftovers = served.sessions()
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pid in leftovers | served.sessions():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def serving(home: Path, *options: str, **kwargs) -> Iterator[Served]:
    served = start(home, *options, **kwargs)
    try:
        yield served
    finally:
        stop(served)
