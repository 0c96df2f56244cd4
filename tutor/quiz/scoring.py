"""The one pass rule and the one way a quiz percent is written, for every place that shows a score.

docs/content-format.md: a quiz is passed at 80 %, perfect at 100 %. The course map, the results
screen, `lambda-tutor progress` and the workshop report all decide and print through here, so a
score can never be "passed" in one place and "not passed" in another, nor be printed as the
number a pass needs while it is judged a fail.

Imports nothing heavy: the command line and the workshop report use it without Textual.
"""

from __future__ import annotations

import math

PASS_PERCENT = 80.0
PERFECT_PERCENT = 100.0
# Credit is kept to four places per question (2/3 -> 0.6667), so a quiz worth exactly 80 % can
# compute as 79.999 % (three thirds sum to 0.9999) while its points read "8 of 10". Settling the
# percent to hundredths absorbs that (the error is under 0.005 %) and still fails a real
# shortfall such as 79.96 %.
_SETTLE_PLACES = 2


def _settled(percent: float) -> float:
    return round(percent, _SETTLE_PLACES)


def passes(percent: float) -> bool:
    """80 % passes; 79.99 % does not (the percent is settled to hundredths first, see above)."""
    return _settled(percent) >= PASS_PERCENT


def is_perfect(percent: float) -> bool:
    return _settled(percent) >= PERFECT_PERCENT


def shown_percent(percent: float) -> float:
    """The percent as it is displayed: one decimal, rounded down.

    Rounded down, not to nearest: 79.96 rounded would read "80.0", the very number a pass needs,
    next to "not passed". Down to a tenth rather than to a whole number so a near miss shows how
    near (79.9) instead of losing most of a point (79). A floored number reaches 80 exactly when
    the score does, so what is shown and `passes` always agree.
    """
    return math.floor(_settled(percent) * 10) / 10


def format_percent(percent: float) -> str:
    """'79.9 %', '80 %', '66.6 %': the displayed number without a trailing '.0'."""
    return f"{shown_percent(percent):g} %"
