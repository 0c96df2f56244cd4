"""deploy/nginx/lambda-tutor.conf and deploy/caddy/Caddyfile, run: two serve processes behind one proxy.

Both `lambda-tutor serve` processes and the proxy run as real subprocesses on free loopback ports;
the shipped file is used as it is, with only its address, ports and log path replaced. Through
nginx a learner's browser (an aiohttp client sending what textual-serve's page sends) gets the
page and a cookie, its websocket upgrades and the app's first frame arrives, and the cookie keeps
it on one serve process while other cookies reach the other one. Learners on either process write
to the one store.

Caddy's file is run the same way, short of the store check. Neither proxy is a Python package:
without nginx (or caddy) its test is skipped, unless LAMBDA_TUTOR_REQUIRE_NGINX=1 (or
LAMBDA_TUTOR_REQUIRE_CADDY=1), set by CI, which installs both, turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from serving import children_of, free_port

from tutor.progress.credentials import token_hash
from tutor.progress.store import open_store
from tutor.ui.app import RESUME_LIFETIME

REPO = Path(__file__).resolve().parent.parent
NGINX_SITE = REPO / "deploy" / "nginx" / "lambda-tutor.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
COOKIE = "lambda_tutor_key"
FIRST_LESSON = "overview-three-models"

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find processes")


def nginx_or_skip() -> str:
    if Path(NGINX).exists():
        return NGINX
    if os.environ.get("LAMBDA_TUTOR_REQUIRE_NGINX") == "1":
        pytest.fail("LAMBDA_TUTOR_REQUIRE_NGINX=1 but nginx is not installed (apt-get install -y nginx)")
    pytest.skip("nginx is not installed (apt-get install -y nginx); CI sets LAMBDA_TUTOR_REQUIRE_NGINX=1")


# The tab ann comes back with through the other serve process (a valid token: 16-64 URL-safe chars).
RESUME_TOKEN = "ann-second-host-tab-0123456789"


def shared_store_env(home: Path) -> dict[str, str]:
    """What every serve process gets so that all of them use one store.

    Today that is one SQLite file under one LAMBDA_TUTOR_HOME. With the PostgreSQL store, add
    LAMBDA_TUTOR_DATABASE here (or leave it in the environment, which is passed on): the test
    reads the store back through `open_store()` with the same environment.
    """
    return {"LAMBDA_TUTOR_HOME": str(home)}


def start_serve(port: int, home: Path, public_url: str) -> subprocess.Popen:
    """One serve process as docs/instructors.md runs them: the proxy's address as its public URL."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "tutor", "serve", "--host", "127.0.0.1", "--port", str(port)),
            *("--public-url", public_url),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **shared_store_env(home)},
    )


def wait_to_listen(proxy: subprocess.Popen, port: int, name: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert proxy.poll() is None, f"{name} exited with status {proxy.returncode}"
        assert time.monotonic() < deadline, f"{name} did not listen within 10 s"
        time.sleep(0.05)


def render_site(listen_port: int, backend_ports: list[int], access_log: Path) -> str:
    """The shipped file with its example ports and log path replaced; every one must be there."""
    text = NGINX_SITE.read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{listen_port};",
        "server 127.0.0.1:8001;": f"server 127.0.0.1:{backend_ports[0]};",
        "server 127.0.0.1:8002;": f"server 127.0.0.1:{backend_ports[1]};",
        "/var/log/nginx/lambda-tutor.access.log": str(access_log),
    }
    for example, real in replacements.items():
        assert text.count(example) == 1, f"{NGINX_SITE.name} no longer has {example!r} exactly once"
        text = text.replace(example, real)
    return text


def stop(process: subprocess.Popen) -> None:
    leftovers = children_of(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pid in leftovers | children_of(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def proxied(tmp_path, isolated_home, backend):
    """Two serve processes sharing one store (SQLite, then PostgreSQL: `backend` puts its URL in the
    environment they inherit), nginx in front: (proxy port, {backend port: process}, log)."""
    nginx = nginx_or_skip()
    backends: dict[int, subprocess.Popen] = {}
    started: list[subprocess.Popen] = []
    listen_port = free_port()
    try:
        for _ in range(2):
            port = free_port()
            backends[port] = start_serve(port, isolated_home, f"http://127.0.0.1:{listen_port}/")
            started.append(backends[port])

        prefix = tmp_path / "nginx"
        prefix.mkdir()
        access_log = prefix / "access.log"
        (prefix / "site.conf").write_text(render_site(listen_port, list(backends), access_log))
        # Only what nginx needs to run from a scratch folder; the site is the shipped file.
        main_conf = prefix / "nginx.conf"
        main_conf.write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"pid {prefix / 'nginx.pid'};\n"
            + f"error_log {prefix / 'error.log'};\n"
            + "events {}\n"
            + "http {\n"
            + f"    client_body_temp_path {prefix / 'body'};\n"
            + f"    proxy_temp_path {prefix / 'proxy'};\n"
            + f"    include {prefix / 'site.conf'};\n"
            + "}\n"
        )
        checked = subprocess.run(
            [nginx, "-t", "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(main_conf)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stderr
        proxy = subprocess.Popen(
            [
                nginx,
                "-p",
                str(prefix),
                "-e",
                str(prefix / "error.log"),
                "-c",
                str(main_conf),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(proxy)
        wait_to_listen(proxy, listen_port, "nginx")
        yield listen_port, backends, access_log
    finally:
        for process in reversed(started):
            stop(process)


async def wait_for_backends(http: aiohttp.ClientSession, ports) -> None:
    """Each serve process checks the course before it listens. Asked directly, not through nginx,
    which would mark a process not yet listening as failed and send its learners elsewhere."""
    for port in ports:
        deadline = time.monotonic() + 60
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{port}/") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                assert time.monotonic() < deadline, f"serve on :{port} did not answer within 60 s"
            await asyncio.sleep(0.1)


async def page_through(http: aiohttp.ClientSession, base: str, cookie: str | None = None):
    """GET / through the proxy: (status, text, the stickiness cookie it set)."""
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    async with http.get(base + "/", headers=headers) as response:
        set_cookie = response.cookies.get(COOKIE)
        return response.status, await response.text(), set_cookie.value if set_cookie else None


def upstream_of(access_log: Path, key: str) -> int:
    """The backend port nginx's log names for the last request with this key."""
    # nginx writes the line just after the response, so the client can be a moment ahead of it.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in reversed(access_log.read_text().splitlines()):
            if line.endswith(f" key={key}"):
                # After a failed try the log lists every address tried; the last one answered.
                found = re.findall(r"127\.0\.0\.1:(\d+)", line.split("upstream=", 1)[1])
                assert found, line
                return int(found[-1])
        time.sleep(0.05)
    raise AssertionError(f"no request with key {key} in nginx's log:\n{access_log.read_text()}")


class Browser:
    """One learner's page: its websocket through the proxy, the screen bytes it has received."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self.received = 0
        self.last_frame = 0.0
        self.first_frame = asyncio.Event()
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for message in self.websocket:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.received += len(message.data)
                self.last_frame = time.monotonic()
                self.first_frame.set()

    async def settle(self, after: float, what: str) -> None:
        """Wait for a frame later than `after`, then until the app has drawn nothing for a moment."""
        deadline = time.monotonic() + 20
        while not (self.last_frame > after and time.monotonic() - self.last_frame > 0.3):
            assert time.monotonic() < deadline, f"the app did not answer {what}"
            await asyncio.sleep(0.05)

    async def type(self, text: str) -> None:
        """Type as the page does, then wait for the app to answer."""
        sent = time.monotonic()
        await self.websocket.send_json(["stdin", text])
        await self.settle(sent, repr(text))


async def test_nginx_keeps_each_browser_on_one_serve_process_and_both_processes_share_a_learner(proxied):
    listen_port, backends, access_log = proxied
    base = f"http://127.0.0.1:{listen_port}"
    async with aiohttp.ClientSession() as http:
        await wait_for_backends(http, backends)
        status, html, given_key = await page_through(http, base)
        assert status == 200 and "lambda-tutor" in html
        assert given_key, "nginx gave the browser no stickiness cookie"
        # --public-url: the page sends the browser's websocket back through the proxy.
        websocket_url = f"ws://127.0.0.1:{listen_port}/ws"
        assert websocket_url in html, "the page does not send its websocket through the proxy"

        # Keys a browser might get, until both processes have been chosen.
        key_of_backend: dict[int, str] = {upstream_of(access_log, given_key): given_key}
        for attempt in range(100):
            if len(key_of_backend) == 2:
                break
            key = f"probe{attempt}"
            await page_through(http, base, key)
            key_of_backend.setdefault(upstream_of(access_log, key), key)
        assert set(key_of_backend) == set(backends), "nginx sent every key to the same serve process"

        async def learner(backend: int, key: str, name: str, *, returning: str = "") -> None:
            before = children_of(backends[backend].pid)
            resume = f"&resume={RESUME_TOKEN}" if returning else ""
            websocket = await http.ws_connect(
                f"{websocket_url}?width=80&height=24{resume}",
                headers={"Cookie": f"{COOKIE}={key}"},
                origin=base,
            )
            browser = Browser(websocket)
            await asyncio.wait_for(browser.first_frame.wait(), 60)
            # Keys typed while the app is still starting can be lost, as a person could not type yet.
            await browser.settle(0.0, "with its first screen")
            # The app that drew it runs under the process the cookie chose, not the other one.
            assert children_of(backends[backend].pid) - before, f"no app process started on :{backend}"
            if returning:
                # The name again, "I have a PIN" (the first choice), the PIN chosen on the other host.
                steps: tuple[str, ...] = (f"{returning}\r", "\r", "4821\r")
            else:
                # A new learner: the name, "I am new here" (down, enter), a PIN twice.
                steps = (f"{name}\r", "\x1b[B", "\r", "4821\r", "4821\r")
            for keys in steps:
                await browser.type(keys)
            await browser.type("c")  # the course's first lesson, which the store remembers
            await websocket.close()
            browser.reader.cancel()

        await asyncio.gather(
            *(
                learner(backend, key, name)
                for (backend, key), name in zip(key_of_backend.items(), ["ann", "bob"], strict=True)
            )
        )
        # Ann comes back through the other serve process: her PIN is checked against what the first
        # one stored, and her tab's token is bound to her only if that login succeeded.
        _, (bob_port, bob_key) = key_of_backend.items()
        await learner(bob_port, bob_key, "", returning="ANN ")

    # nginx logs a websocket once it has closed, which the serve process finishes a moment later.
    deadline = time.monotonic() + 10
    while len(upgrades := [line for line in access_log.read_text().splitlines() if "GET /ws" in line]) < 2:
        assert time.monotonic() < deadline, f"nginx logged {len(upgrades)} websockets, expected 2"
        await asyncio.sleep(0.1)
    assert all('" 101 ' in line for line in upgrades), upgrades  # 101: switched to the websocket

    with open_store() as store:
        assert store.last_lesson("ann") == FIRST_LESSON
        assert store.last_lesson("bob") == FIRST_LESSON
        resumed = store.resume_session(token_hash(RESUME_TOKEN), lifetime=RESUME_LIFETIME)
        assert resumed is not None and resumed[0] == "ann", "ann's login on the other host failed"


CADDYFILE = REPO / "deploy" / "caddy" / "Caddyfile"
CADDY = shutil.which("caddy") or "/usr/bin/caddy"
CADDY_COOKIE = "lambda_tutor_backend"


@pytest.fixture
def caddy_proxied(tmp_path, isolated_home):
    """The same two serve processes, Caddy in front: (proxy port, {backend port: process})."""
    if not Path(CADDY).exists():
        if os.environ.get("LAMBDA_TUTOR_REQUIRE_CADDY") == "1":
            pytest.fail("LAMBDA_TUTOR_REQUIRE_CADDY=1 but caddy is not installed (apt-get install -y caddy)")
        pytest.skip("caddy is not installed (apt-get install -y caddy); CI sets LAMBDA_TUTOR_REQUIRE_CADDY=1")
    listen_port = free_port()
    public_url = f"http://127.0.0.1:{listen_port}/"
    backends = {port: start_serve(port, isolated_home, public_url) for port in (free_port(), free_port())}
    started = list(backends.values())
    try:
        text = CADDYFILE.read_text()
        ports = list(backends)
        replacements = {
            "tutor.example.org {": f"http://127.0.0.1:{listen_port} {{",
            "127.0.0.1:8001 127.0.0.1:8002": f"127.0.0.1:{ports[0]} 127.0.0.1:{ports[1]}",
            "/var/log/caddy/lambda-tutor.access.log": str(tmp_path / "caddy-access.log"),
        }
        for example, real in replacements.items():
            assert text.count(example) == 1, f"{CADDYFILE.name} no longer has {example!r} exactly once"
            text = text.replace(example, real)
        # No admin endpoint: its fixed port would collide with another Caddy on this machine.
        (tmp_path / "Caddyfile").write_text("{\n\tadmin off\n}\n\n" + text)
        proxy = subprocess.Popen(
            [CADDY, "run", "--adapter", "caddyfile", "--config", str(tmp_path / "Caddyfile")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={
                **os.environ,
                "HOME": str(tmp_path),
                "XDG_DATA_HOME": str(tmp_path),
                "XDG_CONFIG_HOME": str(tmp_path),
            },
        )
        started.append(proxy)
        wait_to_listen(proxy, listen_port, "caddy")
        yield listen_port, backends
    finally:
        for process in reversed(started):
            stop(process)


async def test_caddy_keeps_each_browser_on_one_serve_process_and_spreads_browsers_over_both(caddy_proxied):
    listen_port, backends = caddy_proxied
    base = f"http://127.0.0.1:{listen_port}"
    async with aiohttp.ClientSession() as http:
        await wait_for_backends(http, backends)
        # Caddy picks a process for a browser without the cookie and names it in the cookie.
        keys = set()
        for _ in range(100):
            async with http.get(base + "/", headers={"Cookie": ""}) as response:
                assert response.status == 200 and "lambda-tutor" in await response.text()
                assert CADDY_COOKIE in response.cookies, "Caddy set no stickiness cookie"
                keys.add(response.cookies[CADDY_COOKIE].value)
            if len(keys) == 2:
                break
        assert len(keys) == 2, "Caddy sent every browser to the same serve process"

        served_by = set()
        for key in keys:
            before = {port: children_of(process.pid) for port, process in backends.items()}
            websocket = await http.ws_connect(
                f"ws://127.0.0.1:{listen_port}/ws?width=80&height=24",
                headers={"Cookie": f"{CADDY_COOKIE}={key}"},
                origin=base,
            )
            browser = Browser(websocket)
            await asyncio.wait_for(browser.first_frame.wait(), 60)
            started_on = [
                port for port, process in backends.items() if children_of(process.pid) - before[port]
            ]
            assert len(started_on) == 1, started_on
            served_by.add(started_on[0])
            await websocket.close()
            browser.reader.cancel()
        assert served_by == set(backends), "the two cookies should hold browsers on the two processes"
