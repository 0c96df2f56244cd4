"""Time to first frame: lambda-tutor's course map against a bare Textual app with a Tree and a Markdown pane.

    python bench/startup.py [--runs 7]

Both apps run in the same invocation, alternating, each run in a fresh Python process (so every
import is paid, as a learner pays it), headless at 120x40 with a fresh progress store. A run
ends at the first frame that shows the app's content: for lambda-tutor, the course map with its
tree filled from the real course. The clock starts in the parent just before the child is
spawned, so interpreter start-up counts too. Prints both medians and their ratio (goal: <= 1.3).

The app keeps the checked course between runs (`tutor.content.cache`), so every start but the
first after an install or a course edit reads it back instead of checking it again. The ratio
is measured that way, as a learner meets it; `--cold` also times starts with the cache removed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE_NAME = "course-cache.pickle"  # tutor.content.cache.CACHE_NAME, not imported: this file times imports
GOAL_RATIO = 1.3

# Each child prints time.monotonic() (system-wide on Linux, so comparable with the parent's) once
# its first frame has been drawn, then exits.
OURS = """
import time
from tutor.ui.app import LambdaTutorApp

app = LambdaTutorApp(profile="bench")

async def first_frame(pilot):
    await pilot.pause()
    assert app.screen.query_one("CourseTree").root.children, "the course map has no modules"
    print(time.monotonic(), flush=True)
    app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=first_frame)
"""

BARE = """
import time
from textual.app import App
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Markdown, Tree

TEXT = "# A lesson\\n\\n" + "Some words about invocation models. " * 40 + "\\n\\n- one\\n- two\\n"

class Bare(App):
    def compose(self):
        yield Header()
        tree = Tree("Course")
        for module in range(5):
            branch = tree.root.add(f"Module {module}", expand=True)
            for lesson in range(6):
                branch.add_leaf(f"Lesson {module}.{lesson}")
        yield Horizontal(tree, Markdown(TEXT))
        yield Footer()

app = Bare()

async def first_frame(pilot):
    await pilot.pause()
    print(time.monotonic(), flush=True)
    app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=first_frame)
"""


def time_one(code: str, home: str) -> float:
    env = {**os.environ, "LAMBDA_TUTOR_HOME": home, "PYTHONPATH": str(REPO)}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, check=False
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise SystemExit(f"startup bench: a child failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return float(lines[-1]) - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="runs of each app (default 7)")
    parser.add_argument("--cold", action="store_true", help="also time starts without the course cache")
    args = parser.parse_args(argv)
    ours: list[float] = []
    bare: list[float] = []
    cold: list[float] = []
    with tempfile.TemporaryDirectory(prefix="tutor-bench-") as home:
        time_one(BARE, home)  # warm the file cache and bytecode so the first real run is not an outlier
        time_one(OURS, home)
        for _ in range(args.runs):
            # Alternate, so a burst of load on a shared machine hits both alike.
            bare.append(time_one(BARE, home))
            ours.append(time_one(OURS, home))
            if args.cold:
                (Path(home) / CACHE_NAME).unlink(missing_ok=True)
                cold.append(time_one(OURS, home))
    ours_median = statistics.median(ours)
    bare_median = statistics.median(bare)
    ratio = ours_median / bare_median
    print(f"bare Textual (Tree + Markdown): median {bare_median * 1000:.0f} ms over {len(bare)} runs")
    print(f"lambda-tutor course map:       median {ours_median * 1000:.0f} ms over {len(ours)} runs")
    verdict = "within" if ratio <= GOAL_RATIO else "above"
    print(f"ratio {ratio:.2f}x ({verdict} the {GOAL_RATIO}x goal)")
    if cold:
        cold_median = statistics.median(cold)
        print(
            f"cold start (no course cache):  median {cold_median * 1000:.0f} ms over {len(cold)} runs, "
            f"ratio {cold_median / bare_median:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
