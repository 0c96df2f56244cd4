"""The one pass rule and the one percent format: 80 % passes, 79.96 % neither passes nor reads 80."""

from fractions import Fraction

import pytest

from tutor.quiz.scoring import format_percent, is_perfect, passes, shown_percent


def test_exactly_80_percent_passes_and_reads_80():
    assert passes(80.0)
    assert format_percent(80.0) == "80 %"


@pytest.mark.parametrize("near_miss", [79.96, 79.99, 79.9, 79.0])
def test_a_near_miss_fails_and_is_shown_below_80(near_miss):
    assert not passes(near_miss)
    assert format_percent(near_miss) == f"{int(near_miss * 10) / 10:g} %"
    assert shown_percent(near_miss) < 80


def test_percent_is_shown_to_one_decimal_rounded_down():
    assert format_percent(100 * 2 / 3) == "66.6 %"
    assert format_percent(100 * 5.6667 / 7) == "80.9 %"
    assert format_percent(99.96) == "99.9 %"
    assert format_percent(0.0) == "0 %"
    assert format_percent(100.0) == "100 %"


def test_credit_rounded_to_four_places_does_not_cost_an_exact_80():
    # Three matching questions each one third right are stored as 0.3333 + 0.3333 + 0.3333.
    seven_right_and_three_thirds = 100 * (7 + 3 * 0.3333) / 10
    assert seven_right_and_three_thirds < 80
    assert passes(seven_right_and_three_thirds)
    assert format_percent(seven_right_and_three_thirds) == "80 %"


def test_only_full_marks_are_perfect():
    assert is_perfect(100.0)
    assert not is_perfect(99.96)
    assert format_percent(99.96) != "100 %"


def test_what_is_shown_always_agrees_with_the_verdict():
    # Every score a quiz of up to 120 questions can have: a pass shows at least 80 and a fail less.
    for asked in range(1, 121):
        for right in range(asked + 1):
            percent = 100.0 * right / asked
            exactly_enough = Fraction(right, asked) >= Fraction(4, 5)
            assert passes(percent) == exactly_enough, (right, asked)
            assert (shown_percent(percent) >= 80) == exactly_enough, (right, asked)
            # Down to the tenth, except within the 0.005 % that settling forgives.
            exact = Fraction(right * 100, asked)
            assert exact - Fraction(1, 10) < Fraction(shown_percent(percent)) <= exact + Fraction(1, 200)
