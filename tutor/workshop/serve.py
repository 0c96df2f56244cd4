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
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger("lambda-tutor.serve")

# Seconds a session's app gets to quit by itself once its browser is gone.
QUIT_GRACE_S = 1.0
# Seconds between SIGTERM and SIGKILL.
KILL_AFTER_S = 3.0

PAGE_DIR = Path(__file__).with_name("page")
# A browser asks for the terminal size its window fits; a huge request would make the app allocate
# screen buffers for it. 400 x 150 is beyond any real screen at a readable font size.
MAX_COLUMNS = 400
# The app's floor (tutor/ui/screens/too_small.py, which imports Textual): the page picks a font
# size that gives a narrow window at least this many cells.
APP_COLUMNS = 80
APP_ROWS = 24
MAX_ROWS = 150
# The tab's token from the page (sessionStorage `lambda-tutor-resume`); anything else is ignored.
RESUME_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Close codes the page (page/static/session.js) tells apart: 1000 is the app's own end ("Session
# ended"); 4001 says the room is full, and the page tries again later; any other close reconnects.
SESSION_ENDED = 1000
ROOM_FULL = 4001
# Measured per learner with the lab playing (bench/serve.py, 2026-12-05, docs/instructors.md):
# 53 MiB proportional memory and 7.9 % of one core.
LEARNER_MIB = 53
LEARNER_CORE_SHARE = 0.079
# Learners get three quarters of each core; the rest keeps the server and the system responsive.
CORES_FOR_LEARNERS = 0.75
# The server holds a websocket and the app's three pipes per learner, plus its own files.
FILES_PER_LEARNER = 4
FILES_FOR_THE_SERVER = 64


def url_host(host: str) -> str:
    """`host` as it is written in a URL: an IPv6 address goes in brackets."""
    host = host.strip("[]")
    return f"[{host}]" if ":" in host else host


def http_url(host: str, port: int) -> str:
    return f"http://{url_host(host)}:{port}/"


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def lan_addresses(families: Iterable[socket.AddressFamily]) -> list[str]:
    """This machine's addresses that other machines can reach (not loopback, not link-local).

    The host name's addresses, plus the address the system would send from to a documentation
    address (RFC 5737 / RFC 3849): connecting a UDP socket only picks a route; nothing is sent.
    """
    found: list[str] = []
    probes = {socket.AF_INET: "192.0.2.1", socket.AF_INET6: "2001:db8::1"}
    for family in families:
        candidates: list[str] = []
        with contextlib.suppress(OSError):
            candidates += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, family)]
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((probes[family], 9))
            candidates.append(str(probe.getsockname()[0]))
        for candidate in candidates:
            address = ipaddress.ip_address(candidate.split("%")[0])
            reachable = not (address.is_loopback or address.is_link_local or address.is_unspecified)
            if reachable and str(address) not in found:
                found.append(str(address))
    return found


def default_max_sessions() -> int:
    """As many learners as three quarters of this machine's cores carry at the measured share each,
    unless memory (four fifths of what is available now, at the measured size each) runs out first."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    by_cpu = int(cores * CORES_FOR_LEARNERS / LEARNER_CORE_SHARE)
    by_memory = by_cpu
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                by_memory = int(int(line.split()[1]) / 1024 * 0.8 / LEARNER_MIB)
    return max(1, min(by_cpu, by_memory))


def files_needed(max_sessions: int) -> int:
    return FILES_FOR_THE_SERVER + FILES_PER_LEARNER * max_sessions


def raise_file_limit(max_sessions: int) -> int:
    """Raise this process's open-file limit to what `max_sessions` learners need, as far as the
    hard limit allows; return how many learners the limit then leaves room for."""
    try:
        import resource
    except ImportError:  # not POSIX: no such limit to raise
        return max_sessions
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = files_needed(max_sessions)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return max_sessions
    return max(0, (soft - FILES_FOR_THE_SERVER) // FILES_PER_LEARNER)


def clamp_size(width: object, height: object) -> tuple[int, int]:
    columns = to_int(str(width), 80)
    rows = to_int(str(height), 24)
    return min(max(columns, 1), MAX_COLUMNS), min(max(rows, 1), MAX_ROWS)


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, the port filled in from the scheme; None if not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


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


def with_resume(command: str, token: str | None) -> str:
    # The token matched RESUME_TOKEN: letters, digits, - and _ need no quoting in any shell.
    return command if token is None else f"{command} --resume {token}"


def _not_our_own_endings(record: logging.LogRecord) -> bool:
    # textual-serve says "failed to start" of every process ended before its first frame, which
    # is what ending the session of a browser that left during start-up does. A process that
    # fails by itself is reported by `end_session` instead.
    return record.getMessage() != "Application failed to start"


@dataclass(eq=False)
class Seat:
    """One learner's connection, counted against --max-sessions until its app process is gone."""

    websocket: web.WebSocketResponse
    resume_token: str | None


class TutorServer(Server):
    def __init__(
        self,
        host: str,
        port: int,
        packs: Sequence[str | Path] = (),
        *,
        public_url: str | None = None,
        max_sessions: int = 1,
        allowed_origins: Sequence[str] = (),
        roster: bool = False,
    ) -> None:
        super().__init__(session_command(packs, roster=roster), host=host, port=port, title="lambda-tutor")
        # Server derives a public URL of its own; ours is None unless the instructor gave one.
        self.public_url_given = public_url.rstrip("/") + "/" if public_url else None
        self.max_sessions = max_sessions
        self.allowed_origins = {origin for origin in map(origin_of, allowed_origins) if origin}
        if self.public_url_given and (public_origin := origin_of(self.public_url_given)):
            self.allowed_origins.add(public_origin)
        self.seats: set[Seat] = set()
        self.endings: set[asyncio.Future] = set()

    def initialize_logging(self) -> None:
        # One line per request would bury the warnings an instructor needs to see.
        logging.basicConfig(level=logging.WARNING, format="lambda-tutor serve: %(message)s")
        logging.getLogger("textual-serve").addFilter(_not_our_own_endings)

    def listen_hosts(self) -> list[str]:
        # asyncio makes an IPv6 socket IPv6-only; "::" means every address, so IPv4 is added.
        host = self.host.strip("[]")
        return [host, "0.0.0.0"] if host == "::" else [host]

    def addresses_to_hand_out(self) -> list[str]:
        if self.public_url_given:
            return [self.public_url_given]
        host = self.host.strip("[]")
        if host in ("0.0.0.0", "::"):
            families = [socket.AF_INET] if host == "0.0.0.0" else [socket.AF_INET, socket.AF_INET6]
            return [http_url(address, self.port) for address in lan_addresses(families)]
        return [http_url(host, self.port)]

    def announce(self) -> None:
        # Plain prints: Rich would read an IPv6 address in brackets as markup and drop it.
        addresses = self.addresses_to_hand_out()
        if addresses:
            print("lambda-tutor: learners open " + "  or  ".join(addresses), flush=True)
        else:
            print(
                "lambda-tutor: found no network address other machines can reach; "
                f"on this machine: {http_url('127.0.0.1', self.port)}",
                flush=True,
            )
        if self.public_url_given:
            print(
                f"lambda-tutor: listening on {http_url(self.host, self.port)} behind that address", flush=True
            )
        print(
            f"lambda-tutor: room for {self.max_sessions} learners at a time (--max-sessions); Ctrl+C stops",
            flush=True,
        )

    async def on_shutdown(self, app: web.Application) -> None:
        # 1012 "service restart": the pages say "Reconnecting…" and come back to the next server.
        await asyncio.gather(
            *(seat.websocket.close(code=1012, message=b"server stopped") for seat in list(self.seats)),
            return_exceptions=True,
        )
        if self.endings:
            await asyncio.gather(*self.endings, return_exceptions=True)

    async def _make_app(self) -> web.Application:
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(PAGE_DIR))
        app.add_routes(
            [
                web.get("/", self.handle_page),
                web.get("/ws", self.handle_websocket),
                web.get("/download/{key}", self.handle_download),
                web.static("/static", self.statics_path),
                web.static("/page", PAGE_DIR / "static"),
            ]
        )
        app.on_shutdown.append(self.on_shutdown)
        return app

    def serve(self, debug: bool = False) -> None:
        self.debug = debug
        self.initialize_logging()
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        # Not web.run_app: it runs the start-up hook before it listens, and the addresses handed
        # out must already answer.
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signal_number, stopping.set)
        runner = web.AppRunner(await self._make_app(), handle_signals=False, shutdown_timeout=5)
        await runner.setup()
        try:
            for host in self.listen_hosts():
                await web.TCPSite(runner, host, self.port).start()
            self.announce()
            await stopping.wait()
        finally:
            await runner.cleanup()

    def room_is_full(self, replacing: int = 0) -> bool:
        return len(self.seats) - replacing >= self.max_sessions

    async def handle_page(self, request: web.Request) -> web.Response:
        if self.room_is_full():
            return aiohttp_jinja2.render_template(
                "full.html", request, {"title": self.title, "max_sessions": self.max_sessions}, status=503
            )
        if self.public_url_given:
            # Behind a proxy every address comes from the public URL, so a TLS terminator's
            # https page opens wss and a path prefix (https://host/tutor/) is kept.
            base = self.public_url_given
            socket_scheme = "wss" if base.startswith("https:") else "ws"
            websocket_url = socket_scheme + base[base.index(":") :] + "ws"
        else:
            # Relative: the page works under whatever name or address the browser used, and
            # session.js turns http into ws and https into wss. X-Forwarded-Proto is not read:
            # a header any client can send decides nothing; behind a proxy, --public-url does.
            base = ""
            websocket_url = "ws"
        context = {
            "title": self.title,
            "static_url": base + "static/",
            "page_url": base + "page/",
            "websocket_url": websocket_url,
            "font_size": min(max(to_int(request.query.get("fontsize", "16"), 16), 8), 64),
            "columns": APP_COLUMNS,
            "rows": APP_ROWS,
        }
        return aiohttp_jinja2.render_template("index.html", request, context)

    def origin_allowed(self, request: web.Request) -> bool:
        """A browser names the page that opens a websocket in Origin; only this server's own page
        (or one named with --allow-origin or --public-url) may start a session. Programs that
        are not browsers send no Origin and are let through: they could send any."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        seen = origin_of(origin)
        if seen is None:
            return False
        return seen in self.allowed_origins or origin_of(f"{seen[0]}://{request.host}") == seen

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's handler, but the session's process always ends with the connection."""
        if not self.origin_allowed(request):
            raise web.HTTPForbidden(
                text="this server takes sessions only from its own page (see --allow-origin)\n"
            )
        token = request.query.get("resume")
        if token is not None and not RESUME_TOKEN.fullmatch(token):
            token = None
        # The same tab again (after a dropped connection the server may not have noticed yet):
        # its old session ends, and does not hold a seat against it.
        replaced = [seat for seat in self.seats if token is not None and seat.resume_token == token]
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if self.room_is_full(replacing=len(replaced)):
            await websocket.close(code=ROOM_FULL, message=b"the room is full")
            return websocket
        for old in replaced:
            self._remember(asyncio.ensure_future(old.websocket.close(code=1001, message=b"reopened")))
        seat = Seat(websocket, token)
        self.seats.add(seat)
        width, height = clamp_size(request.query.get("width", "80"), request.query.get("height", "24"))
        service: AppService | None = None

        async def close() -> None:
            # The app ended by itself: the page shows "Session ended" rather than reconnecting.
            await websocket.close(code=SESSION_ENDED, message=b"session ended")

        try:
            service = AppService(
                with_resume(self.command, token),
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
                ending = self._remember(asyncio.ensure_future(end_session(service)))
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(ending)
            self.seats.discard(seat)
            with contextlib.suppress(Exception):
                await websocket.close(code=1011, message=b"session lost")
        return websocket

    def _remember(self, ending: asyncio.Future) -> asyncio.Future:
        self.endings.add(ending)
        ending.add_done_callback(self.endings.discard)
        return ending

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        """textual-serve's, with sizes clamped and a malformed message ignored, not fatal."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
            except ValueError:
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                await app_service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await app_service.set_terminal_size(*clamp_size(data.get("width"), data.get("height")))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()
