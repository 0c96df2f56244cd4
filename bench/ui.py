"""CPU and memory of the simulation panes: the lab playing and paused, and one long run watched.

    python bench/ui.py [--seconds 10] [--size 200x60,80x24]
    python bench/ui.py --long [--minutes 5] [--speed 1800]

Both run the app headless with Textual's `run_test` (the screen is composed and rendered as in a
terminal; only the bytes are not written) and measure the process's CPU time
(`time.process_time`) against wall time, as a share of one core.

The lab (default): the three models playing at the lab's default speed for `--seconds`, then
paused as long, at each `--size`. Goals: while playing at most half a core when the models stand
side by side (200x60), a quarter when they are in tabs (80x24); paused, nothing measurable.

`--long`: one pane (the watch screen) playing a long run: the sqs-lambda preset with a million
messages spread over a week, the longest run a scenario may have, at 1,800x (at 3,600x it ends
within three minutes). The run is measured in five equal windows; the goals are that the last
window's CPU is within 20 % of the first's and that memory (resident set) grows less than 50 MB
from the start of play to the end, and falls back no further than that once paused. The real
figure takes the default five minutes; `--minutes 1` is a quick check.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAUSED_GOAL = 0.02
SIDE_BY_SIDE_FROM = 150  # tutor.ui.screens.lab.WIDE_FROM, not imported before the clock starts
LONG_WINDOWS = 5
LONG_CPU_DRIFT = 0.20
LONG_MEMORY_GROWTH_MB = 50
LONG_SCENARIO = {
    "model": "sqs",
    "title": "a million messages over a week",
    "seed": 1,
    "until_s": 604_800,
    "function": {"duration_ms": 200, "timeout_s": 3},
    "load": {"count": 1_000_000, "rate_per_s": 1.7},
    "sqs": {"batch_size": 10, "visibility_timeout_s": 30},
}


def running_goal(width: int) -> float:
    return 0.5 if width >= SIDE_BY_SIDE_FROM else 0.25


def resident_mb() -> float:
    """The process's resident set now (Linux), else its peak (all the standard library offers)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


async def measure_lab(seconds: float, size: tuple[int, int]) -> dict[str, float]:
    from textual.app import App

    from tutor.ui.screens.lab import LabScreen

    class LabOnly(App[None]):
        CSS_PATH = str(Path(__file__).resolve().parent.parent / "tutor" / "ui" / "tutor.tcss")

        def get_css_variables(self) -> dict[str, str]:
            # The course app's stylesheet uses the legible theme's variables (the app adds them).
            from tutor.ui.contrast import legible_variables

            return legible_variables(super().get_css_variables())

        def on_mount(self) -> None:
            self.push_screen(LabScreen())

    app = LabOnly()
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.5)
        lab = app.screen
        assert isinstance(lab, LabScreen)

        before_press = time.monotonic()
        await pilot.press("space")
        wall0, cpu0 = time.monotonic(), time.process_time()
        await asyncio.sleep(seconds)
        running_cpu, running_wall = time.process_time() - cpu0, time.monotonic() - wall0
        # The last tick's time against the wall clock since the key (pressing it takes a moment).
        sim_time, speed, played = lab.player.time, lab.player.speed, time.monotonic() - before_press

        await pilot.press("space")
        assert not lab.player.playing
        await pilot.pause(0.2)
        wall0, cpu0 = time.monotonic(), time.process_time()
        await asyncio.sleep(seconds)
        paused_cpu, paused_wall = time.process_time() - cpu0, time.monotonic() - wall0
    return {
        "running_core": running_cpu / running_wall,
        "paused_core": paused_cpu / paused_wall,
        "running_cpu": running_cpu,
        "running_wall": running_wall,
        "paused_cpu": paused_cpu,
        "paused_wall": paused_wall,
        "sim_time": sim_time,
        "speed": speed,
        "played": played,
    }


def lab_report(seconds: float, size: tuple[int, int]) -> bool:
    width, height = size
    figures = asyncio.run(measure_lab(seconds, size))
    goal = running_goal(width)
    expected = figures["speed"] * figures["played"]
    print(f"lab at {width}x{height}, three models, {figures['speed']:g}× (the lab's default speed)")
    print(
        f"running: {figures['running_cpu']:.2f} s CPU over {figures['running_wall']:.1f} s = "
        f"{figures['running_core']:.3f} core (goal <= {goal})"
    )
    print(
        f"paused:  {figures['paused_cpu']:.3f} s CPU over {figures['paused_wall']:.1f} s = "
        f"{figures['paused_core']:.4f} core (goal ~0, <= {PAUSED_GOAL})"
    )
    print(
        f"simulated time reached {figures['sim_time']:.1f} s for {expected:.1f} s expected "
        f"({100 * (figures['sim_time'] / expected - 1):+.1f} %)"
    )
    return figures["running_core"] <= goal and figures["paused_core"] <= PAUSED_GOAL


async def measure_long(minutes: float, speed: float) -> dict[str, object]:
    from tutor.sim.scenario import load_scenario
    from tutor.ui.app import LambdaTutorApp, Start

    scenario = load_scenario(LONG_SCENARIO)
    app = LambdaTutorApp(start=Start.watch(scenario, "bench", speed=speed))
    window = minutes * 60 / LONG_WINDOWS
    cores: list[float] = []
    resident: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        player = app.screen.query_one("SimPane").player  # type: ignore[attr-defined]
        start_mb = resident_mb()
        await pilot.press("space")
        for _ in range(LONG_WINDOWS):
            wall0, cpu0 = time.monotonic(), time.process_time()
            await asyncio.sleep(window)
            cores.append((time.process_time() - cpu0) / (time.monotonic() - wall0))
            resident.append(resident_mb())
        sim_time, finished = player.time, player.finished
        await pilot.press("space")
        await pilot.pause(1.0)
        paused_mb = resident_mb()
    return {
        "cores": cores,
        "resident": resident,
        "start_mb": start_mb,
        "paused_mb": paused_mb,
        "sim_time": sim_time,
        "finished": finished,
    }


def long_report(minutes: float, speed: float) -> bool:
    figures = asyncio.run(measure_long(minutes, speed))
    cores: list[float] = figures["cores"]  # type: ignore[assignment]
    resident: list[float] = figures["resident"]  # type: ignore[assignment]
    start_mb: float = figures["start_mb"]  # type: ignore[assignment]
    paused_mb: float = figures["paused_mb"]  # type: ignore[assignment]
    print(
        f"one pane, sqs-lambda with 1,000,000 messages over a week, {speed:g}×, "
        f"{minutes:g} min in {LONG_WINDOWS} windows"
    )
    for index, (core, mb) in enumerate(zip(cores, resident, strict=True), start=1):
        print(f"  window {index}: {core:.3f} core, resident {mb:,.0f} MB")
    drift = cores[-1] / cores[0] - 1 if cores[0] else 0.0
    growth = max(resident) - start_mb
    print(f"CPU, last window against the first: {drift:+.1%} (goal within ±{LONG_CPU_DRIFT:.0%})")
    print(
        f"memory: {start_mb:,.0f} MB at play, {max(resident):,.0f} MB at most, growth {growth:,.1f} MB "
        f"(goal < {LONG_MEMORY_GROWTH_MB} MB); paused {paused_mb:,.0f} MB"
    )
    print(
        f"simulated time reached {figures['sim_time']:,.0f} s"
        + (" (the run ended: the windows after it measure a finished run)" if figures["finished"] else "")
    )
    return abs(drift) <= LONG_CPU_DRIFT and growth < LONG_MEMORY_GROWTH_MB


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"--size {text!r}: allowed WIDTHxHEIGHT, e.g. 200x60") from None
    return width, height


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="lab: seconds playing, then paused")
    parser.add_argument(
        "--size", default="200x60,80x24", help="lab: terminal sizes, comma-separated (side by side from 150)"
    )
    parser.add_argument("--long", action="store_true", help="one pane playing a long run instead of the lab")
    parser.add_argument("--minutes", type=float, default=5.0, help="--long: minutes of play (default 5)")
    parser.add_argument("--speed", type=float, default=1800.0, help="--long: speed (default 1800)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["LAMBDA_TUTOR_HOME"] = home
        if args.long:
            met = long_report(args.minutes, args.speed)
        else:
            met = all([lab_report(args.seconds, parse_size(size)) for size in args.size.split(",")])
    print("goals met" if met else "goals NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
