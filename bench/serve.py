"""What one browser learner costs `lambda-tutor serve`, against a bare Textual app served alike.

    python bench/serve.py [--sessions 5] [--seconds 10] [--size 120x36]

Two servers run as real subprocesses on free loopback ports: `python -m tutor serve` (from this
checkout, with a fresh progress store) and, as the floor, textual-serve's own `Server` running a
bare Textual app that shows one Static. Each gets `--sessions` websocket clients (aiohttp) that
speak textual-serve's protocol as its page (textual.js) does: `["stdin", text]` for keys,
`["resize", {...}]` for the window; the app's screen comes back as binary messages.

Each session is one app process, a child of the server, found by walking /proc. Measured:

- start: CPU seconds of the session's process tree from its spawn until the client receives the
  first frame (and the wall time, sessions opened one after another so no start competes with
  another);
- memory: PSS (from /proc/PID/smaps_rollup: shared pages divided among their sharers, which is
  what N sessions really take together) and RSS of each session's tree, idle after the first
  frame and again while animating;
- idle: CPU share of a core per session while every session sits on its first screen;
- animating: CPU share per session while every session plays a simulation at once. The tutor's
  sessions type a learner name, open the lab (`l`) and play it (space) at the lab's default speed;
  the bare app's space starts a Static counting at ten updates a second, the rate of the tutor's
  simulation panes. The server process's own CPU (it forwards every frame) is shared out among
  the sessions in "sessions per core". Messages per second per session show whether the
  sessions got the CPU they asked for: on a saturated machine the app skips ticks, sends fewer
  frames and so uses less CPU than it would need (the load average is printed for that reason).

Every figure is printed for both and as the ratio tutor / bare, then the plan that follows from
the tutor's figures: learners per 2-core / 4 GiB laptop and such hosts for 300 learners. On a busy
machine the CPU shares come out high; compare ratios only within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

REPO = Path(__file__).resolve().parent.parent
BARE_APP = "--bare-app"
BARE_SERVER = "--bare-server"
TICKS_PER_SECOND = 10  # tutor.ui.widgets.sim_pane.TICKS_PER_SECOND, not imported: no Textual here
PLAYING = b"playing"  # the lab's header says "playing" once space has started it; so does the bare app
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# The plan's host: the instructor's laptop, keeping some of it for the system and the server.
LAPTOP_CORES = 2
LAPTOP_MEMORY_GIB = 4.0
LAPTOP_RESERVED_GIB = 1.0  # the OS, the desktop and the serve process itself
CPU_HEADROOM = 0.75  # of every core, so typing stays responsive while everyone plays
WORKSHOP_LARGE = 300


def bare_app_main() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Bare(App[None]):
        BINDINGS: ClassVar = [("space", "play", "Play")]

        def compose(self) -> ComposeResult:
            yield Static("a bare Textual app", id="face")

        def action_play(self) -> None:
            self.ticks = 0
            self.set_interval(1 / TICKS_PER_SECOND, self.tick)

        def tick(self) -> None:
            self.ticks += 1
            self.query_one(Static).update(f"playing {self.ticks}")

    Bare().run()


def bare_server_main(port: int) -> None:
    from textual_serve.server import Server

    command = "exec " + shlex.join([sys.executable, str(Path(__file__).resolve()), BARE_APP])
    Server(command, host="127.0.0.1", port=port, title="bare").serve()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parent_map() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    return parents


def tree(pid: int) -> set[int]:
    """`pid` and every live descendant."""
    parents = parent_map()
    found = {pid}
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def children(pid: int) -> set[int]:
    return {child for child, parent in parent_map().items() if parent == pid}


def cpu_seconds(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / CLOCK_TICKS


def memory_mib(pids: set[int]) -> tuple[float, float]:
    """(PSS, RSS) of the processes together, in MiB."""
    pss = rss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            name, _, rest = line.partition(":")
            if name == "Pss":
                pss += int(rest.split()[0])
            elif name == "Rss":
                rss += int(rest.split()[0])
    return pss / 1024, rss / 1024


class BenchFailed(Exception):
    """A server or session did not behave as the measurement needs; said in one line."""


@dataclass
class Session:
    websocket: object
    pid: int
    spawned: float
    first_frame_wall: float = 0.0
    first_frame_cpu: float = 0.0
    settled_cpu: float = 0.0
    bytes_in: int = 0
    frames: int = 0
    last_message: float = 0.0
    tail: bytes = b""
    first_frame: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task | None = None

    async def read(self) -> None:
        import aiohttp

        async for message in self.websocket:  # type: ignore[attr-defined]
            if message.type != aiohttp.WSMsgType.BINARY:
                continue
            now = time.monotonic()
            if not self.first_frame.is_set():
                self.first_frame_wall = now - self.spawned
                self.first_frame_cpu = cpu_seconds(tree(self.pid))
                self.first_frame.set()
            self.bytes_in += len(message.data)
            self.frames += 1
            self.last_message = now
            self.tail = (self.tail + message.data)[-65536:]

    async def send(self, text: str) -> None:
        """Type `text`, as the page does."""
        await self.websocket.send_json(["stdin", text])  # type: ignore[attr-defined]

    async def keys(self, text: str) -> None:
        """Type `text` and wait until the app has answered and gone quiet."""
        sent = time.monotonic()
        await self.send(text)
        await self.quiet(after=sent)

    async def quiet(self, after: float = 0.0, for_s: float = 0.5, within_s: float = 30) -> None:
        """Wait for a frame later than `after`, then for `for_s` without one."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.last_message > after and time.monotonic() - self.last_message >= for_s:
                return
            await asyncio.sleep(0.05)


@dataclass
class Figures:
    start_cpu: float
    settled_cpu: float
    start_wall: float
    idle_pss: float
    idle_rss: float
    idle_core: float
    playing_core: float
    server_core: float
    playing_pss: float
    playing_rss: float
    server_pss: float
    bytes_per_s: float
    frames_per_s: float

    @property
    def core_per_learner(self) -> float:
        return self.playing_core + self.server_core


class Target:
    def __init__(self, name: str, command: list[str], port: int, home: Path) -> None:
        self.name, self.port = name, port
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "LAMBDA_TUTOR_HOME": str(home)},
        )
        self.base = f"http://127.0.0.1:{port}"

    async def ready(self, http) -> None:
        import aiohttp

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise BenchFailed(f"{self.name} server exited: {error.strip()[-800:]}")
            try:
                async with http.get(self.base + "/") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
        raise BenchFailed(f"{self.name} server did not answer within 120 s")

    async def open(self, http, size: tuple[int, int]) -> Session:
        before = children(self.process.pid)
        spawned = time.monotonic()
        websocket = await http.ws_connect(f"{self.base}/ws?width={size[0]}&height={size[1]}")
        deadline = spawned + 30
        while not (new := children(self.process.pid) - before):
            if time.monotonic() > deadline:
                raise BenchFailed(f"{self.name}: no session process appeared within 30 s")
            await asyncio.sleep(0.005)
        session = Session(websocket, min(new), spawned)
        session.reader = asyncio.create_task(session.read())
        try:
            await asyncio.wait_for(session.first_frame.wait(), 60)
        except TimeoutError:
            raise BenchFailed(f"{self.name}: no first frame within 60 s") from None
        return session

    async def close(self, sessions: list[Session]) -> None:
        for session in sessions:
            await session.websocket.close()  # type: ignore[attr-defined]
        deadline = time.monotonic() + 15
        while children(self.process.pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for session in sessions:
            if session.reader is not None:
                session.reader.cancel()

    def stop(self) -> None:
        leftovers = tree(self.process.pid) - {self.process.pid}
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


async def measure(target: Target, sessions_wanted: int, seconds: float, size: tuple[int, int]) -> Figures:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        await target.ready(http)
        # One session first and closed: the first start after a server starts pays for files
        # that later ones find in the page cache.
        await target.close([await target.open(http, size)])

        sessions: list[Session] = []
        for _ in range(sessions_wanted):
            session = await target.open(http, size)
            await session.quiet()
            # Nothing is drawn while quiet, so the CPU now is what the whole first screen took.
            session.settled_cpu = cpu_seconds(tree(session.pid))
            sessions.append(session)
        trees = [tree(session.pid) for session in sessions]
        idle_memory = [memory_mib(pids) for pids in trees]

        idle_s = max(seconds / 2, 2.0)
        cpu0 = [cpu_seconds(pids) for pids in trees]
        wall0 = time.monotonic()
        await asyncio.sleep(idle_s)
        idle_cpu = [cpu_seconds(pids) - before for pids, before in zip(trees, cpu0, strict=True)]
        idle_wall = time.monotonic() - wall0

        async def play(number: int, session: Session) -> None:
            if target.name == "tutor":
                # A new learner's name, "I am new here" (down, enter), a PIN twice, then the lab.
                for keys in (f"learner{number}\r", "\x1b[B", "\r", "4821\r", "4821\r", "l"):
                    await session.keys(keys)
            # Not `keys`: a playing app never goes quiet, and waiting out `quiet`'s 30 s let the
            # runs of the sessions started first end (the lab's lasts 36 s at its speed) before
            # the measurement, which then counted finished runs as playing ones.
            await session.send(" ")
            deadline = time.monotonic() + 30
            while PLAYING not in session.tail:
                if time.monotonic() > deadline:
                    raise BenchFailed(f"{target.name}: session {number} never showed 'playing'")
                await asyncio.sleep(0.05)

        # One after another: typing into several starting screens at once on a busy machine can
        # outrun a prompt, and a lost key leaves that session on the wrong screen.
        for number, session in enumerate(sessions, 1):
            await play(number, session)
        await asyncio.sleep(1.0)  # past the lab's opening, into steady play
        trees = [tree(session.pid) for session in sessions]
        server = {target.process.pid}
        cpu0 = [cpu_seconds(pids) for pids in trees]
        server0 = cpu_seconds(server)
        bytes0 = sum(session.bytes_in for session in sessions)
        frames0 = sum(session.frames for session in sessions)
        wall0 = time.monotonic()
        await asyncio.sleep(seconds)
        wall = time.monotonic() - wall0
        playing_cpu = [cpu_seconds(pids) - before for pids, before in zip(trees, cpu0, strict=True)]
        server_cpu = cpu_seconds(server) - server0
        received = sum(session.bytes_in for session in sessions) - bytes0
        frames = sum(session.frames for session in sessions) - frames0
        playing_memory = [memory_mib(pids) for pids in trees]
        server_pss, _ = memory_mib(server)
        await target.close(sessions)

    count = len(sessions)
    return Figures(
        start_cpu=sum(session.first_frame_cpu for session in sessions) / count,
        settled_cpu=sum(session.settled_cpu for session in sessions) / count,
        start_wall=sum(session.first_frame_wall for session in sessions) / count,
        idle_pss=sum(pss for pss, _ in idle_memory) / count,
        idle_rss=sum(rss for _, rss in idle_memory) / count,
        idle_core=sum(idle_cpu) / idle_wall / count,
        playing_core=sum(playing_cpu) / wall / count,
        server_core=server_cpu / wall / count,
        playing_pss=sum(pss for pss, _ in playing_memory) / count,
        playing_rss=sum(rss for _, rss in playing_memory) / count,
        server_pss=server_pss,
        bytes_per_s=received / wall / count,
        frames_per_s=frames / wall / count,
    )


def run_target(
    name: str, command: list[str], sessions: int, seconds: float, size: tuple[int, int]
) -> Figures:
    """`command` ends where the port goes."""
    with tempfile.TemporaryDirectory(prefix=f"bench-serve-{name}-") as home:
        port = free_port()
        target = Target(name, [*command, str(port)], port, Path(home))
        started = time.monotonic()
        try:
            figures = asyncio.run(measure(target, sessions, seconds, size))
        finally:
            target.stop()
        print(f"{name}: measured in {time.monotonic() - started:.0f} s", file=sys.stderr)
        return figures


def report(bare: Figures, tutor: Figures, sessions: int, seconds: float, size: tuple[int, int]) -> None:
    def row(what: str, unit: str, bare_value: float, tutor_value: float, digits: int = 2) -> None:
        ratio = f"{tutor_value / bare_value:7.2f}x" if bare_value > 0 else "    (bare 0)"
        print(f"  {what:38} {bare_value:9.{digits}f} {tutor_value:9.{digits}f} {unit:10} {ratio}")

    machine = f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    machine += f", load average {os.getloadavg()[0]:.1f} at the end"
    print(f"{time.strftime('%Y-%m-%d')}  {machine}")
    print(f"{sessions} sessions each at {size[0]}x{size[1]}, {seconds:g} s playing")
    print(f"  {'':38} {'bare':>9} {'tutor':>9} {'':10} {'ratio':>8}")
    row("start: CPU to first frame", "s", bare.start_cpu, tutor.start_cpu)
    row("start: CPU to first screen settled", "s", bare.settled_cpu, tutor.settled_cpu)
    row("start: wall to first frame", "s", bare.start_wall, tutor.start_wall)
    row("memory idle: PSS per session", "MiB", bare.idle_pss, tutor.idle_pss, 1)
    row("memory idle: RSS per session", "MiB", bare.idle_rss, tutor.idle_rss, 1)
    row("memory playing: PSS per session", "MiB", bare.playing_pss, tutor.playing_pss, 1)
    row("memory playing: RSS per session", "MiB", bare.playing_rss, tutor.playing_rss, 1)
    row("idle: CPU per session", "core", bare.idle_core, tutor.idle_core, 4)
    row("playing: CPU per session", "core", bare.playing_core, tutor.playing_core, 3)
    row("playing: server CPU per session", "core", bare.server_core, tutor.server_core, 3)
    row("playing: sent per session", "KiB/s", bare.bytes_per_s / 1024, tutor.bytes_per_s / 1024, 1)
    row("playing: messages per session", "/s", bare.frames_per_s, tutor.frames_per_s, 1)
    row("sessions per core, all playing", "", 1 / bare.core_per_learner, 1 / tutor.core_per_learner, 1)
    print(f"  server process PSS: bare {bare.server_pss:.1f} MiB, tutor {tutor.server_pss:.1f} MiB")

    usable_mib = (LAPTOP_MEMORY_GIB - LAPTOP_RESERVED_GIB) * 1024
    by_memory = math.floor(usable_mib / tutor.playing_pss)
    by_cpu = math.floor(LAPTOP_CORES * CPU_HEADROOM / tutor.core_per_learner)
    per_laptop = min(by_memory, by_cpu)
    print()
    print(
        f"Plan (tutor): a {LAPTOP_CORES}-core / {LAPTOP_MEMORY_GIB:g} GiB laptop, "
        f"{LAPTOP_RESERVED_GIB:g} GiB kept for the system, {CPU_HEADROOM:.0%} of each core for sessions"
    )
    hosts = math.ceil(WORKSHOP_LARGE / per_laptop)
    burst_s = 30 * tutor.settled_cpu / LAPTOP_CORES
    print(f"  by memory, {tutor.playing_pss:.0f} MiB PSS each               {by_memory:5d} learners")
    print(f"  by CPU, all playing at once, {tutor.core_per_learner:.3f} core each {by_cpu:5d} learners")
    print(f"  learners per laptop                         {per_laptop:5d}")
    print(f"  such hosts for {WORKSHOP_LARGE} learners                 {hosts:5d}")
    print(f"  30 learners joining at once: the last one's first screen after about {burst_s:.0f} s")


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT, e.g. 120x36") from None
    if not (20 <= width <= 500 and 10 <= height <= 200):
        raise argparse.ArgumentTypeError(f"{text!r}: allowed 20..500 columns by 10..200 rows")
    return width, height


def positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r}: must be above 0")
        return value

    return parse


def main() -> int:
    if sys.argv[1:2] == [BARE_APP]:
        bare_app_main()
        return 0
    if sys.argv[1:2] == [BARE_SERVER]:
        bare_server_main(int(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=positive(int), default=5, help="sessions per server (5)")
    parser.add_argument("--seconds", type=positive(float), default=10.0, help="seconds measured playing (10)")
    parser.add_argument("--size", type=parse_size, default=(120, 36), help="each browser's terminal (120x36)")
    args = parser.parse_args()
    if not Path("/proc/self/smaps_rollup").exists():
        parser.exit(2, "bench/serve.py: needs Linux's /proc/PID/smaps_rollup to measure sessions\n")
    try:
        import aiohttp  # noqa: F401
        import textual_serve  # noqa: F401
    except ImportError:
        parser.exit(2, "bench/serve.py: needs textual-serve and aiohttp: pip install 'lambda-tutor[serve]'\n")

    python = sys.executable
    try:
        bare = run_target(
            "bare",
            [python, str(Path(__file__).resolve()), BARE_SERVER],
            args.sessions,
            args.seconds,
            args.size,
        )
        tutor = run_target(
            "tutor",
            [python, "-m", "tutor", "serve", "--host", "127.0.0.1", "--port"],
            args.sessions,
            args.seconds,
            args.size,
        )
    except BenchFailed as failure:
        print(f"bench/serve.py: {failure}", file=sys.stderr)
        return 1
    report(bare, tutor, args.sessions, args.seconds, args.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
