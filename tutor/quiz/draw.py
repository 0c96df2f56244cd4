"""Which questions a module quiz asks: a draw that covers every lesson and favours what is not known yet.

- Every lesson of the module gets a question before any lesson gets a second one (round by round).
- Within a lesson, questions never answered right come first, then those asked longest ago, then
  bank order: a learner who keeps taking the quiz works through the whole bank.
- When the quiz fills part-way through a round, the lessons whose next question is not yet known
  go first.
- Near-duplicates share a `group`; a draw asks at most one question of a group.

The draw is presented lesson by lesson, in the module's order, like the whole bank used to be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from tutor.content.course import Question

# A never-asked question sorts before any that was asked.
_NEVER = ""


def draw_questions(
    questions: Sequence[Question],
    lesson_order: Sequence[str],
    size: int,
    history: Mapping[str, tuple[bool, datetime]],
) -> list[Question]:
    """Up to `size` of `questions`; `history` is per question id (answered right once, last asked)."""

    def rank(question: Question, position: int) -> tuple[bool, str, int]:
        right, last_asked = history.get(question.id, (False, None))
        return (right, last_asked.isoformat() if last_asked else _NEVER, position)

    ranked = sorted(enumerate(questions), key=lambda item: rank(item[1], item[0]))
    lessons = {lesson_id: place for place, lesson_id in enumerate(lesson_order)}
    queues: dict[str, list[tuple[int, Question]]] = {}
    for position, question in ranked:
        queues.setdefault(question.lesson, []).append((position, question))

    taken: list[Question] = []
    groups: set[str | None] = set()
    while len(taken) < size:
        heads = []
        for lesson_id, queue in queues.items():
            while queue and queue[0][1].group in groups:
                queue.pop(0)
            if queue:
                heads.append((rank(queue[0][1], queue[0][0]), lesson_id))
        if not heads:
            break
        for _, lesson_id in sorted(heads):
            if len(taken) == size:
                break
            question = queues[lesson_id][0][1]
            if question.group in groups:  # taken this round by another lesson's question
                continue
            queues[lesson_id].pop(0)
            taken.append(question)
            if question.group is not None:
                groups.add(question.group)
    drawn_order = {question.id: place for place, question in enumerate(taken)}
    return sorted(taken, key=lambda q: (lessons.get(q.lesson, len(lessons)), drawn_order[q.id]))
