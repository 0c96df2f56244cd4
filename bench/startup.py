"""Time to first frame of every entry point, each against a bare Textual app showing as much.

    python bench/startup.py [--runs 7] [--only map,lesson,lab,quiz] [--cold]

Entry points, and what each is compared with:

- `map`: `lambda-tutor`, the course map with its tree filled from the real course, against a bare
  app with a Tree and a Markdown pane (goal <= 1.15x).
- `lesson`: the first lesson with a live simulation, its text and its pane drawn, against a bare
  app showing the same lesson text in a Markdown widget (goal <= 1.3x).
- `lab`: `lambda-tutor lab`, the three models drawn, against the bare Tree and Markdown app
  (goal <= 1.3x).
- `quiz`: `lambda-tutor quiz`, the first module's quiz on show (its first question, or the choice
  between the drawn questions and all of them), against the bare Tree and Markdown app (goal <= 1.3x).

Every run is a fresh Python process (so every import is paid, as a learner pays it), headless at
120x40 with a fresh progress store. The clock starts in the parent just before the child is
spawned, so interpreter start-up counts too, and stops at the first frame that shows the entry
point's content. The runs alternate in rounds (bare, then each entry point), so a burst of load on
a shared machine hits them alike; each ratio is the median of the rounds' own ratios.

Bytecode is compiled once, by the warm-up run, into the bench's temporary directory (whatever
PYTHONDONTWRITEBYTECODE says), as an installed package has it compiled.

The app keeps the checked course between runs (`tutor.content.cache`), so every start but the
first after an install or a course edit reads it back instead of checking it again. The ratios are
measured that way, as a learner meets them; `--cold` also times the map with the cache removed.
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
GOALS = {"map": 1.15, "lesson": 1.3, "lab": 1.3, "quiz": 1.3}

# Each child prints time.monotonic() (system-wide on Linux, so comparable with the parent's) once
# its first frame with content has been drawn, then exits. `READY` is polled frame by frame.
CHILD = """
import time
{imports}

{setup}

async def first_frame(pilot):
    for _ in range(2000):
        await pilot.pause()
        if {ready}:
            break
    else:
        raise SystemExit("never ready")
    print(time.monotonic(), flush=True)
    app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=first_frame)
"""

OURS = {
    "map": {
        "imports": "from tutor.ui.app import LambdaTutorApp",
        "setup": 'app = LambdaTutorApp(profile="bench")',
        "ready": 'app.screen.query("CourseTree") and app.screen.query_one("CourseTree").root.children',
    },
    "lesson": {
        "imports": "from tutor.ui.app import LambdaTutorApp, Start",
        "setup": 'app = LambdaTutorApp(profile="bench", start=Start("lesson", {{"lesson_id": {lesson!r}}}))',
        "ready": (
            'getattr(app.screen, "SCREEN_NAME", "") == "lesson" and app.screen.query("#lesson-sim")'
            ' and app.screen.query_one("#lesson-body").children'
        ),
    },
    "lab": {
        "imports": "from tutor.ui.app import LambdaTutorApp, Start",
        "setup": 'app = LambdaTutorApp(profile="bench", start=Start.lab())',
        "ready": 'getattr(app.screen, "SCREEN_NAME", "") == "lab" and app.screen.query("SimView")',
    },
    "quiz": {
        "imports": "from tutor.ui.app import LambdaTutorApp, Start",
        "setup": 'app = LambdaTutorApp(profile="bench", start=Start.quiz())',
        "ready": 'getattr(app.screen, "phase", "") in ("question", "choice")',
    },
}

BARE_IMPORTS = """
from textual.app import App
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Markdown, Tree
"""

BARE_MAP = """
TEXT = "# A lesson\\n\\n" + "Some words about invocation models. " * 40 + "\\n\\n- one\\n- two\\n"

class Bare(App):
    def compose(self):
        yield Header()
        tree = Tree("Course")
        for module in range(5):
            branch = tree.root.add(f"Module {{module}}", expand=True)
            for lesson in range(6):
                branch.add_leaf(f"Lesson {{module}}.{{lesson}}")
        yield Horizontal(tree, Markdown(TEXT))
        yield Footer()

app = Bare()
"""

BARE_LESSON = """
TEXT = {text!r}

class Bare(App):
    def compose(self):
        yield Header()
        yield Markdown(TEXT, id="text")
        yield Footer()

app = Bare()
"""


def child_code(parts: dict[str, str], lesson: str) -> str:
    setup = parts["setup"].format(lesson=lesson)
    return CHILD.format(imports=parts["imports"], setup=setup, ready=parts["ready"])


def bare_code(setup: str, lesson_text: str = "") -> str:
    body = setup.format(text=lesson_text)
    return CHILD.format(imports=BARE_IMPORTS, setup=body, ready="app.screen.children")


def first_lesson_with_a_pane() -> tuple[str, str]:
    """The id and the Markdown text of the first lesson (in course order) that has a simulation."""
    sys.path.insert(0, str(REPO))
    from tutor.content.loader import load_course

    course, _ = load_course()
    for lesson_id in course.ordered_lesson_ids():
        lesson = course.lesson(lesson_id)
        if lesson.scenario:
            return lesson_id, lesson.body
    raise SystemExit("startup bench: no lesson has a simulation")


def time_one(code: str, home: str) -> float:
    env = {**os.environ, "LAMBDA_TUTOR_HOME": home, "PYTHONPATH": str(REPO)}
    # A learner's install has its bytecode compiled; with PYTHONDONTWRITEBYTECODE set (as on the
    # shared machine) every run would compile the project's modules again, while the bare app's
    # Textual comes compiled. The children keep their bytecode in the bench's own directory, the
    # warm-up run writes it for every app alike, and nothing is written into the repository.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(home) / "bytecode")
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
    parser.add_argument("--only", default=",".join(OURS), help="entry points, comma-separated (default all)")
    parser.add_argument("--cold", action="store_true", help="also time the map without the course cache")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in OURS]
    if unknown or not chosen:
        print(
            f"--only: unknown entry point {', '.join(unknown)!r}; allowed {', '.join(OURS)}", file=sys.stderr
        )
        return 2
    lesson_id, lesson_text = first_lesson_with_a_pane()
    codes = {name: child_code(OURS[name], lesson_id) for name in chosen}
    bare = {"bare": bare_code(BARE_MAP)}
    if "lesson" in chosen:
        bare["bare lesson"] = bare_code(BARE_LESSON, lesson_text)
    times: dict[str, list[float]] = {name: [] for name in [*bare, *codes, "cold"]}
    with tempfile.TemporaryDirectory(prefix="tutor-bench-") as home:
        # Warm the file cache, the bytecode and the course cache so the first real run is no outlier.
        for code in [*bare.values(), *codes.values()]:
            time_one(code, home)
        for _ in range(args.runs):
            for name, code in [*bare.items(), *codes.items()]:
                times[name].append(time_one(code, home))
            if args.cold:
                (Path(home) / CACHE_NAME).unlink(missing_ok=True)
                times["cold"].append(time_one(child_code(OURS["map"], lesson_id), home))
    medians = {name: statistics.median(values) for name, values in times.items() if values}
    for name in bare:
        print(f"{name + ':':<13} median {medians[name] * 1000:4.0f} ms over {args.runs} runs")
    for name in codes:
        against = "bare lesson" if name == "lesson" else "bare"
        # Each round's own ratio (its runs a few seconds apart), then their median: a burst of
        # load from the machine's other users skews one round, not the verdict.
        ratio = statistics.median(ours / bare for ours, bare in zip(times[name], times[against], strict=True))
        verdict = "within" if ratio <= GOALS[name] else "ABOVE"
        print(
            f"{name + ':':<13} median {medians[name] * 1000:4.0f} ms, {ratio:.2f}x {against} "
            f"(median of the rounds' ratios; {verdict} the {GOALS[name]}x goal)"
        )
    if "cold" in medians:
        print(
            f"{'cold map:':<13} median {medians['cold'] * 1000:4.0f} ms, "
            f"{medians['cold'] / medians['bare']:.2f}x bare"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
