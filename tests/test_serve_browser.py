"""The served course in a real browser: Debian's chromium, driven by Playwright.

The page must ask no other host for anything (a workshop room may have no internet): every request
to an address that is not loopback is aborted and recorded, and none may be attempted. Then a
learner types a name and the app answers; the server is killed and started again, and the page
reconnects by itself. Outside CI the test is skipped when chromium or Playwright is missing; CI
sets LAMBDA_TUTOR_REQUIRE_BROWSER=1 (.ci/run) so that it fails instead.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import signal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from serving import command_line, start, stop, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# textual.js keeps its xterm.js terminal to itself. The terminal's constructor assigns `_core`;
# an inherited setter catches that assignment, so the test can read what the learner sees.
CATCH_TERMINAL = """
window.__terminals = [];
Object.defineProperty(Object.prototype, "_core", {
  configurable: true,
  get() { return undefined; },
  set(value) {
    Object.defineProperty(this, "_core", { value, writable: true, configurable: true });
    if (typeof this.loadAddon === "function") window.__terminals.push(this);
  },
});
"""
SCREEN_TEXT = """() => {
  const terminal = window.__terminals[0];
  if (!terminal) return "";
  const buffer = terminal.buffer.active;
  const lines = [];
  for (let row = 0; row < buffer.length; row++) lines.push(buffer.getLine(row).translateToString(true));
  return lines.join("\\n");
}"""


def browser_or_skip():
    required = os.environ.get("LAMBDA_TUTOR_REQUIRE_BROWSER") == "1"
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"{CHROMIUM} is not installed (apt-get install chromium)"
    elif shutil.which("true") is None or not Path("/proc/self/stat").exists():
        missing = "needs a POSIX system with /proc"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            missing = "the playwright package is not installed (pip install -e '.[test]')"
        else:
            return sync_playwright
    if required:
        pytest.fail(f"LAMBDA_TUTOR_REQUIRE_BROWSER=1 but {missing}")
    pytest.skip(missing)


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def only_loopback(route, outside: list[str]) -> None:
    if is_loopback_url(route.request.url):
        route.continue_()
    else:
        outside.append(route.request.url)
        route.abort()


def screen_shows(page, text: str, timeout_s: float = 30) -> None:
    try:
        page.wait_for_function(
            f"text => ({SCREEN_TEXT})().includes(text)", arg=text, timeout=timeout_s * 1000
        )
    except Exception as error:
        raise AssertionError(f"{text!r} not shown; the screen:\n{page.evaluate(SCREEN_TEXT)}") from error


def join_as_a_new_learner(page, name: str, pin: str) -> None:
    """Type a name (Unicode, through the browser's keyboard), choose "I am new here", then the PIN
    twice straight on without looking, as a fast typist does: the second PIN then often reaches the
    app before it has handled the first enter, and must still be taken as the second answer."""
    screen_shows(page, "What is your name?")
    page.locator("#terminal").click()  # keys go to the terminal, as a learner's would
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    screen_shows(page, "Have you chosen a PIN here before?")
    page.keyboard.press("ArrowDown")  # "I am new here": choose a PIN
    page.keyboard.press("Enter")
    screen_shows(page, "1 of 2: choose a PIN")
    page.keyboard.type(f"{pin}\n{pin}\n")  # "\n" presses Enter
    try:
        page.wait_for_function(f"() => !({SCREEN_TEXT})().includes('Welcome to lambda-tutor')", timeout=30000)
    except Exception as error:
        raise AssertionError(f"login not done; the screen:\n{page.evaluate(SCREEN_TEXT)}") from error


def test_a_learner_uses_the_course_in_chromium_offline_and_the_page_reconnects(isolated_home):
    sync_playwright = browser_or_skip()
    outside: list[str] = []
    served = start(isolated_home)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                context.route("**/*", lambda route: only_loopback(route, outside))
                page = context.new_page()
                page.add_init_script(CATCH_TERMINAL)
                page.goto(f"http://127.0.0.1:{served.port}/")

                join_as_a_new_learner(page, "Jos\u00e9 N\u00fa\u00f1ez", "2468")
                screen_shows(page, "Jos\u00e9 N\u00fa\u00f1ez")  # the masthead names the learner

                token = page.evaluate("() => sessionStorage.getItem('lambda-tutor-resume')")
                assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
                (session,) = served.sessions()
                assert command_line(session)[-2:] == ["--resume", token]

                # The server dies (a crash, a restart): the page says so and comes back by itself.
                stop(served, signal.SIGKILL)
                notice = page.locator("#connection-notice")
                notice.wait_for(state="visible", timeout=10000)
                assert notice.inner_text() == "Reconnecting…"
                served = start(isolated_home, port=served.port)
                notice.wait_for(state="hidden", timeout=20000)
                # The tab's token brings the learner back without the login prompt.
                screen_shows(page, "Jos\u00e9 N\u00fa\u00f1ez")
                assert "What is your name?" not in page.evaluate(SCREEN_TEXT)
                session = wait_for(lambda: next(iter(served.sessions()), None), 10, "the new session")
                assert command_line(session)[-2:] == ["--resume", token]
                assert page.evaluate("() => document.body.classList.contains('-closed')") is False
            finally:
                browser.close()
    finally:
        stop(served)
    assert outside == [], f"the page asked other hosts: {outside}"
