"""`lambda-tutor serve` for a real room: reachable from other machines, behind a proxy, limited.

Every test runs the real server as a subprocess and talks to it over loopback only (127.0.0.1 or
::1). "Another machine" is what the server sees from one: a request whose Host header names this
machine's LAN address and whose page then asks for every address it names.
"""

from __future__ import annotations

import asyncio

import ipaddress
import re
import socket
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest

from serving import command_line, free_port, rss_mib, serving, wait_for
from tutor.cli import main

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find processes")

ADDRESS_IN_PAGE = re.compile(r'(?:src|href)="([^"]+)"|url\("([^"]+)"\)|data-session-websocket-url="([^"]+)"')
GOOD_TOKEN = "Abc-_0123456789xyzABCDEFGHIJKLMN"  # 32 URL-safe characters, as the page makes


def page_addresses(html: str, page_url: str) -> list[str]:
    """Every address the page loads or connects to, resolved as a browser does (the websocket's
    http becoming ws, as page/static/session.js does)."""
    found = []
    for match in ADDRESS_IN_PAGE.finditer(html):
        address = next(group for group in match.groups() if group)
        if address.startswith("http://www.w3.org/"):  # the SVG namespace, never fetched
            continue
        resolved = urljoin(page_url, address)
        if match.group(3):
            resolved = resolved.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        found.append(resolved)
    return found


def on_loopback(address: str, loopback: str) -> str:
    """The same path, asked of this machine over loopback (what the remote browser would get)."""
    parts = urlsplit(address)
    scheme = "ws" if parts.scheme in ("ws", "wss") else "http"
    return f"{scheme}://{loopback}{parts.path}"


async def first_frame(websocket: aiohttp.ClientWebSocketResponse) -> None:
    message = await websocket.receive(timeout=60)
    assert message.type == aiohttp.WSMsgType.BINARY, message


async def check_page_from(http, served, loopback: str, page_url: str, host_header: str) -> list[str]:
    """Fetch the page as a browser at `page_url` would, then every address it names."""
    async with http.get(f"http://{loopback}/", headers={"Host": host_header}) as response:
        assert response.status == 200
        html = await response.text()
    addresses = page_addresses(html, page_url)
    kinds = {urlsplit(address).path.rsplit("/", 1)[-1] for address in addresses}
    assert {"xterm.css", "session.js", "textual.js", "RobotoMono-VariableFont_wght.ttf", "ws"} <= kinds
    for address in addresses:
        if address.startswith(("ws://", "wss://")):
            continue
        async with http.get(on_loopback(address, loopback), headers={"Host": host_header}) as response:
            assert response.status == 200, address
    return addresses


def this_machines_address(address: str) -> bool:
    """Binding succeeds only for an address of this machine; nothing is sent anywhere."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


def handed_out(banner: list[str]) -> list[str]:
    line = next(line for line in banner if "learners open" in line)
    return re.findall(r"http://\S+/", line)


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
async def test_a_room_server_hands_out_lan_addresses_and_its_page_works_from_them(host, isolated_home):
    with serving(isolated_home, "--host", host) as served:
        urls = handed_out(served.banner)
        if not urls:
            pytest.skip("this machine has no non-loopback address to hand out")
        for url in urls:
            address = urlsplit(url).hostname
            assert address is not None
            assert not ipaddress.ip_address(address).is_loopback and this_machines_address(address), url
            assert urlsplit(url).port == served.port
            if ":" in address:
                assert f"[{address}]" in url  # an IPv6 address in a URL goes in brackets
        assert any(":" not in (urlsplit(url).hostname or "") for url in urls), "no IPv4 address handed out"
        loopbacks = [f"127.0.0.1:{served.port}"] + ([f"[::1]:{served.port}"] if host == "::" else [])
        async with aiohttp.ClientSession() as http:
            for loopback in loopbacks:
                for url in urls:
                    netloc = urlsplit(url).netloc
                    addresses = await check_page_from(http, served, loopback, url, netloc)
                    assert all(urlsplit(address).netloc == netloc for address in addresses), addresses
                    socket_url = next(address for address in addresses if address.startswith("ws://"))
                    async with http.ws_connect(
                        on_loopback(socket_url, loopback) + "?width=80&height=24",
                        headers={"Host": netloc, "Origin": f"http://{netloc}"},
                    ) as websocket:
                        await first_frame(websocket)


async def test_an_ipv6_loopback_server_is_bracketed_and_served(isolated_home):
    with serving(isolated_home, "--host", "::1") as served:
        assert handed_out(served.banner) == [f"http://[::1]:{served.port}/"]
        async with aiohttp.ClientSession() as http:
            page_url = f"http://[::1]:{served.port}/"
            addresses = await check_page_from(
                http, served, f"[::1]:{served.port}", page_url, f"[::1]:{served.port}"
            )
            assert f"ws://[::1]:{served.port}/ws" in addresses


async def test_behind_a_proxy_every_address_comes_from_the_public_url(isolated_home):
    public = "https://tutor.example.org/room/"
    with serving(isolated_home, "--public-url", public) as served:
        assert handed_out(served.banner) == [] and f"learners open {public}" in served.banner[0]
        loopback = f"127.0.0.1:{served.port}"
        async with aiohttp.ClientSession() as http:
            # The proxy strips /room/ and may pass its own Host: the page's addresses do not care.
            async with http.get(f"http://{loopback}/", headers={"Host": loopback}) as response:
                html = await response.text()
            addresses = page_addresses(html, f"http://{loopback}/")
            assert addresses and all(
                address.startswith((public, "wss://tutor.example.org/room/")) for address in addresses
            ), addresses
            assert "wss://tutor.example.org/room/ws" in addresses
            for address in addresses:
                path = "/" + address.split("/room/", 1)[1]
                if path != "/ws":
                    async with http.get(f"http://{loopback}{path}") as response:
                        assert response.status == 200, address
            async with http.ws_connect(
                f"ws://{loopback}/ws", headers={"Origin": "https://tutor.example.org"}
            ) as websocket:
                await first_frame(websocket)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://tutor.example.org/",
        "tutor.example.org",
        "https://",
        "https://a.org/\nb",
        "https://a.org:99999/",
    ],
)
def test_a_public_url_that_is_not_one_http_address_is_one_line(url, capsys):
    assert main(["serve", "--public-url", url]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--public-url" in error and "allowed: one http:// or https://" in error


async def test_websockets_from_other_origins_are_refused_unless_allowed(isolated_home):
    with serving(isolated_home, "--allow-origin", "https://lms.example.org") as served:
        base = f"127.0.0.1:{served.port}"
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"ws://{base}/ws", headers={"Origin": "https://evil.example.com"})
            assert refused.value.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                # The same host on another port is another origin.
                await http.ws_connect(
                    f"ws://{base}/ws", headers={"Origin": f"http://127.0.0.1:{free_port()}"}
                )
            assert refused.value.status == 403
            for origin in (f"http://{base}", "https://lms.example.org"):
                async with http.ws_connect(f"ws://{base}/ws", headers={"Origin": origin}) as websocket:
                    await first_frame(websocket)


def test_an_allowed_origin_must_be_an_origin(capsys):
    assert main(["serve", "--allow-origin", "lms.example.org"]) == 2
    assert "allowed: scheme://host[:port]" in capsys.readouterr().err


async def close_code(websocket: aiohttp.ClientWebSocketResponse) -> tuple[int, str]:
    """Read past whatever the app still sent until the server's close frame."""
    while True:
        message = await websocket.receive(timeout=10)
        if message.type == aiohttp.WSMsgType.CLOSE:
            return message.data, message.extra
        assert message.type == aiohttp.WSMsgType.BINARY, message


def session_process(served, exclude: frozenset[int] = frozenset()) -> int:
    return wait_for(lambda: next(iter(served.sessions() - exclude), None), 30, "a session's app process")


async def test_a_huge_browser_window_is_clamped_and_the_session_stays_small(isolated_home):
    with serving(isolated_home) as served:
        base = f"ws://127.0.0.1:{served.port}/ws"
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(base + "?width=100000&height=100000") as websocket,
        ):
            await first_frame(websocket)
            pid = session_process(served)
            environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert b"COLUMNS=400" in environment and b"ROWS=150" in environment
            await websocket.send_json(["resize", {"width": 100000, "height": 100000}])
            await websocket.send_json(["resize", {"width": "wide", "height": None}])  # ignored, not fatal
            await first_frame(websocket)  # the redraw at the clamped size
            rss = rss_mib(pid)
            print(f"session RSS after a 100000x100000 request: {rss:.1f} MiB")
            assert rss < 200
            assert pid in served.sessions(), "the session survives the odd resize"


async def test_a_full_room_says_so_until_a_seat_frees_up(isolated_home):
    with serving(isolated_home, "--max-sessions", "1") as served:
        assert "room for 1 learners at a time" in served.banner[-1]
        base = f"127.0.0.1:{served.port}"
        async with aiohttp.ClientSession() as http:
            websocket = await http.ws_connect(f"ws://{base}/ws")
            await first_frame(websocket)
            async with http.get(f"http://{base}/") as response:
                assert response.status == 503 and "The room is full" in await response.text()
            async with http.ws_connect(f"ws://{base}/ws") as second:
                assert await close_code(second) == (4001, "the room is full")
            await websocket.close()
            wait_for(lambda: not served.sessions(), 10, "the first learner's app to end")

            # The seat is the server's until it has finished ending that session, a moment after
            # the app process is gone; the page itself asks again every 10 seconds.
            deadline = asyncio.get_running_loop().time() + 10
            while True:
                async with http.get(f"http://{base}/") as response:
                    if response.status == 200:
                        break
                    assert response.status == 503
                assert asyncio.get_running_loop().time() < deadline, "the seat was never freed"
                await asyncio.sleep(0.1)


def limit_files(soft: int, hard: int):
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return apply


def open_file_limit(pid: int) -> int:
    line = next(line for line in Path(f"/proc/{pid}/limits").read_text().splitlines() if "open files" in line)
    return int(line.split()[3])


def test_the_open_file_limit_is_raised_to_what_the_room_needs(isolated_home):
    with serving(isolated_home, "--max-sessions", "200", preexec_fn=limit_files(128, 4096)) as served:
        assert open_file_limit(served.process.pid) >= 4 * 200
        assert "room for 200 learners" in served.banner[-1]


def test_a_file_limit_that_cannot_be_raised_lowers_the_room_and_says_so(isolated_home):
    with serving(isolated_home, "--max-sessions", "50", preexec_fn=limit_files(100, 100)) as served:
        said = "\n".join(served.banner)
        assert "leaves room for 9 learners, not 50" in said
        assert "room for 9 learners at a time" in served.banner[-1]


def test_the_default_room_size_follows_the_measured_cost_per_learner(isolated_home):
    from tutor.workshop.serve import default_max_sessions

    cores = len(__import__("os").sched_getaffinity(0))
    room = default_max_sessions()
    # 7.9 % of a core each, on three quarters of the cores: 18 on a 2-core laptop.
    assert 1 <= room <= int(cores * 0.75 / 0.079)
    with serving(isolated_home) as served:
        assert f"room for {room} learners at a time" in served.banner[-1]


async def test_a_tab_that_reconnects_gets_a_new_session_with_its_resume_token(isolated_home):
    with serving(isolated_home) as served:
        base = f"ws://127.0.0.1:{served.port}/ws?width=80&height=24"
        async with aiohttp.ClientSession() as http:
            first = await http.ws_connect(f"{base}&resume={GOOD_TOKEN}")
            await first_frame(first)
            old = session_process(served)
            assert command_line(old)[-2:] == ["--resume", GOOD_TOKEN]

            # The same tab again before the server noticed the drop: the old session gives way.
            second = await http.ws_connect(f"{base}&resume={GOOD_TOKEN}")
            await first_frame(second)
            assert await close_code(first) == (1001, "reopened")
            new = session_process(served, exclude=frozenset({old}))
            assert command_line(new)[-2:] == ["--resume", GOOD_TOKEN]
            wait_for(lambda: served.sessions() == {new}, 10, "the replaced session's app to end")
            await second.close()
            wait_for(lambda: not served.sessions(), 10, "the session to end")

            for bad in ("short", "has space" + "x" * 20, "x" * 65, "semi;colon" + "x" * 10):
                async with http.ws_connect(base, params={"resume": bad}) as websocket:
                    await first_frame(websocket)
                    pid = session_process(served)
                    assert "--resume" not in command_line(pid), bad
                wait_for(lambda: not served.sessions(), 10, "the session to end")


def test_the_session_program_keeps_the_token_for_the_app():
    from tutor.ui.app import Start

    assert Start.served(resume_token=GOOD_TOKEN).resume_token == GOOD_TOKEN
    assert Start.served().resume_token is None and Start.served().ask_name


@pytest.mark.parametrize("count", ["0", "-3"])
def test_a_room_for_no_learner_is_refused_in_one_line(count, capsys):
    assert main(["serve", "--max-sessions", count]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"--max-sessions {count}: allowed 1 or more" in error
