"""A learner who presses 1 then enter on every question must not pass for it (bench/quiz_blind.py)."""

import importlib.util
import statistics
from pathlib import Path

from tutor.content.loader import load_course

BENCH = Path(__file__).resolve().parent.parent / "bench" / "quiz_blind.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("quiz_blind", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_answering_every_default_quiz_with_the_first_key_scores_at_most_30_percent():
    bench = load_bench()
    course, _ = load_course()
    shuffled = bench.module_figures(course, attempts=20)
    assert set(shuffled) == {module.id for module in course.modules}
    assert statistics.fmean(shuffled.values()) <= bench.GOAL_PERCENT, shuffled
    # The banks list most right answers first: shown that way, the same learner scores more.
    in_bank_order = bench.module_figures(course, attempts=1, bank_order=True)
    assert statistics.fmean(in_bank_order.values()) > statistics.fmean(shuffled.values()) + 10
