"""`lambda-tutor serve`: the page from 127.0.0.1, and no app process left once its browser is gone.

The server runs as a real subprocess on a free loopback port; websocket clients (aiohttp) connect
and drop at once, which is when textual-serve used to leave an app process behind. Processes are
found by walking /proc for the server's descendants.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from serving import children_of, free_port

from tutor.cli import main

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find processes")


async def wait_until(condition, seconds: float, what: str, every: float = 0.02):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(every)
    raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")


@pytest.fixture
def server(isolated_home):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tutor.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "LAMBDA_TUTOR_HOME": str(isolated_home)},
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in children_of(process.pid):
            os.kill(pid, signal.SIGKILL)


async def test_the_page_is_served_on_loopback_and_dropped_browsers_leave_no_process(server):
    process, port = server
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:

        async def page_ready():
            try:
                async with http.get(base + "/") as response:
                    return response.status, await response.text()
            except aiohttp.ClientConnectionError:
                return None

        for _ in range(600):  # the server loads the course before it listens
            page = await page_ready()
            if page is not None or process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert page is not None, process.stdout.read() if process.poll() is not None else "no answer"
        status, html = page
        # The websocket's address is relative: the page resolves it against the address it came from.
        assert status == 200 and "lambda-tutor" in html and 'data-session-websocket-url="ws"' in html

        # Browsers that connect and leave at once, during the app's start-up.
        seen: set[int] = set()
        sockets = [await http.ws_connect(f"{base}/ws?width=80&height=24") for _ in range(3)]
        for websocket in sockets:
            await websocket.close()

        def no_app_left() -> bool:
            alive = children_of(process.pid)
            seen.update(alive)
            return not alive

        # Quit, then SIGTERM after 1 s, then SIGKILL 3 s later: gone well within 6 s. (Plain textual-serve
        # waits for such an app to finish starting and read its quit message, or forever if it spins.)
        await wait_until(no_app_left, 6, "the dropped sessions' app processes to end")
        assert seen, "no app process was ever started: the test would prove nothing"

        # A browser that stays until the app has drawn its first frame, then leaves.
        websocket = await http.ws_connect(f"{base}/ws?width=80&height=24")
        frame = await websocket.receive(timeout=60)
        assert frame.type == aiohttp.WSMsgType.BINARY
        assert children_of(process.pid), "the session's app process should be running"
        await websocket.close()
        await wait_until(
            lambda: not children_of(process.pid), 10, "the app process of a closed browser to end"
        )
    assert process.poll() is None, "the server itself keeps running"


def test_serve_without_textual_serve_says_how_to_install_it(monkeypatch, capsys):
    # As in a process where the extra was never installed: no textual_serve, nothing imported from it.
    for name in ("textual_serve", "textual_serve.server", "textual_serve.app_service"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "tutor.workshop.serve", raising=False)
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "pip install 'lambda-tutor[serve]'" in error


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_port_outside_1_to_65535_is_refused(port, capsys):
    assert main(["serve", "--port", port]) == 2
    assert "allowed 1..65535" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "warned"),
    [("127.0.0.1", False), ("localhost", False), ("::1", False), ("0.0.0.0", True), ("192.168.1.20", True)],
)
def test_a_host_that_is_not_loopback_gets_a_one_line_warning(host, warned, monkeypatch, capsys):
    import tutor.content.loader
    from tutor.workshop import serve

    served = []
    monkeypatch.setattr(tutor.content.loader, "load_course_or_fail", lambda packs=(): None)
    monkeypatch.setattr(serve.TutorServer, "serve", lambda self: served.append((self.host, self.port)))
    assert main(["serve", "--host", host, "--port", "8123"]) == 0
    error = capsys.readouterr().err
    assert served == [(host, 8123)]
    assert ("not loopback" in error) is warned
    assert error.count("\n") == (1 if warned else 0)


def test_a_busy_port_is_one_line(monkeypatch, capsys):
    import tutor.content.loader

    monkeypatch.setattr(tutor.content.loader, "load_course_or_fail", lambda packs=(): None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    error = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in error and "choose another --port" in error


def test_each_session_runs_the_app_as_the_servers_direct_child_with_absolute_pack_paths(tmp_path):
    from tutor.workshop.serve import session_command

    command = session_command(["pack one"])
    assert command.startswith("exec ") and "-m tutor.commands.serve --session" in command
    assert f"'{Path('pack one').resolve()}'" in command


def test_the_watchdog_ends_a_process_whose_input_closes_even_if_it_ignores_sigterm():
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "from tutor.workshop.watchdog import exit_when_orphaned; "
        "exit_when_orphaned(poll_s=0.05, grace_s=0.2); print('watching', flush=True); time.sleep(60)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "watching"
        time.sleep(0.3)
        assert child.poll() is None, "it must keep running while its input is open"
        child.stdin.close()
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
