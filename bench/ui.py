"""CPU cost of the lab: the three models playing at the lab's default speed, then paused.

    python bench/ui.py [--seconds 10] [--size 200x60]

Runs the lab headless with Textual's `run_test` (the screen is composed and rendered as in a
terminal; only the bytes are not written), presses space, and measures the process's CPU time
(`time.process_time`) over `--seconds` of wall time while it plays, then the same while paused.
Prints both as a share of one core, and the simulated time reached against speed × wall time.
Goals (issue 4): at most 0.5 core while running; paused, nothing measurable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RUNNING_GOAL = 0.5
PAUSED_GOAL = 0.02


async def measure(seconds: float, size: tuple[int, int]) -> dict[str, float]:
    from textual.app import App

    from tutor.ui.screens.lab import LabScreen

    class LabOnly(App[None]):
        CSS_PATH = str(Path(__file__).resolve().parent.parent / "tutor" / "ui" / "tutor.tcss")

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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="200x60", help="terminal size (the lab is side by side from 150)")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory() as home:
        os.environ["LAMBDA_TUTOR_HOME"] = home
        figures = asyncio.run(measure(args.seconds, (width, height)))
    expected = figures["speed"] * figures["played"]
    print(f"lab at {width}x{height}, three models, {figures['speed']:g}× (the lab's default speed)")
    print(
        f"running: {figures['running_cpu']:.2f} s CPU over {figures['running_wall']:.1f} s = "
        f"{figures['running_core']:.3f} core (goal <= {RUNNING_GOAL})"
    )
    print(
        f"paused:  {figures['paused_cpu']:.3f} s CPU over {figures['paused_wall']:.1f} s = "
        f"{figures['paused_core']:.4f} core (goal ~0, <= {PAUSED_GOAL})"
    )
    print(
        f"simulated time reached {figures['sim_time']:.1f} s for {expected:.1f} s expected "
        f"({100 * (figures['sim_time'] / expected - 1):+.1f} %)"
    )
    met = figures["running_core"] <= RUNNING_GOAL and figures["paused_core"] <= PAUSED_GOAL
    print("goals met" if met else "goals NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
