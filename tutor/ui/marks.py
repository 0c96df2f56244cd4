"""How progress reads on screen: every state is a symbol and a word, never colour alone."""

from __future__ import annotations

from dataclasses import dataclass

from tutor.quiz.scoring import PASS_PERCENT, format_percent, is_perfect, passes

READ = ("✓", "read")
NOT_STARTED = ("○", "not started")
# Wide enough for the longest lesson mark so titles line up in the tree.
LESSON_MARK_WIDTH = max(len(f"{symbol} {word}") for symbol, word in (READ, NOT_STARTED))


@dataclass(frozen=True)
class Mark:
    symbol: str
    word: str
    # A style class name (success, muted, warning), so the stylesheet's theme colours apply.
    tone: str

    def __str__(self) -> str:
        return f"{self.symbol} {self.word}"


def lesson_mark(is_read: bool) -> Mark:
    if is_read:
        return Mark(*READ, tone="success")
    return Mark(*NOT_STARTED, tone="muted")


def quiz_mark(percent: float | None) -> Mark:
    """The module quiz state from the learner's best attempt (None: never taken)."""
    if percent is None:
        return Mark("·", "quiz not taken", tone="muted")
    if is_perfect(percent):
        return Mark("★", "perfect", tone="success")
    if passes(percent):
        return Mark("✓", "quiz passed", tone="success")
    return Mark(
        "✗", f"quiz {format_percent(percent)}, pass at {format_percent(PASS_PERCENT)}", tone="warning"
    )


def overall_progress(read_count: int, total: int) -> str:
    """The header line, e.g. '7 / 25 lessons read · 28 %'."""
    percent = round(100 * read_count / total) if total else 0
    return f"{read_count} / {total} lessons read · {percent} %"
