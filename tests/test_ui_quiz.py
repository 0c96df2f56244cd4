"""The quiz screen driven like a learner would: keys (and a few clicks), feedback, results, review.

These use the tiny pack in tests/data/quizpack (one question of each kind), so they do not move
while the built-in bank grows.
"""

from datetime import UTC, date, datetime
from pathlib import Path

from conftest import card_due, screen_text, wait_until
from textual.pilot import Pilot

from tutor.quiz.review import next_card
from tutor.content.course import Question
from tutor.progress.store import open_store
from tutor.quiz.session import presented_steps
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.screens.quiz import QuizScreen
from tutor.ui.widgets.quiz import QuizFeedback, QuizResults

QUIZPACK = str(Path(__file__).parent / "data" / "quizpack")
SIZE = (80, 24)


def quiz_app(**options):
    return LambdaTutorApp("ann", [QUIZPACK], start=Start.quiz(**({"module_id": "quizpack"} | options)))


async def quiz_screen(pilot: Pilot, phase: str = "question") -> QuizScreen:
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, QuizScreen) and pilot.app.screen.phase == phase,
        f"the quiz screen in phase {phase}",
    )
    await pilot.pause()  # let the new question's layout settle before anything clicks on it
    return pilot.app.screen


def keys_for_right_answer(question: Question, computed: float | None) -> list[str]:
    """The keys a learner who knows the answer would press, ending with enter (submit)."""
    kind = question.kind
    if kind == "single":
        return [str(question.choices.index(question.answer) + 1), "enter"]
    if kind == "truefalse":
        return ["1" if question.answer else "2", "enter"]
    if kind == "multiple":
        return [str(question.choices.index(choice) + 1) for choice in question.answer] + ["enter"]
    if kind == "matching":
        return [str(question.choices.index(question.answer[left]) + 1) for left in question.matching_left] + [
            "enter"
        ]
    if kind == "ordering":
        steps, cursor, keys = presented_steps(question), 0, []
        for target, step in enumerate(question.choices):
            position = steps.index(step)
            keys += ["down"] * (position - cursor) + ["up"] * (cursor - position)
            keys += ["u"] * (position - target)
            steps.insert(target, steps.pop(position))
            cursor = target
        return [*keys, "enter"]
    value = question.answer if kind == "numeric" else computed
    if question.choices:
        return [str(question.choices.index(value) + 1), "enter"]
    return [*f"{value:g}", "enter"]


async def answer_right(pilot: Pilot, screen: QuizScreen) -> None:
    question = screen.session.current
    await pilot.press(*keys_for_right_answer(question, screen.session.computed_answer(question)))
    await quiz_screen(pilot, "feedback")


async def test_a_whole_quiz_by_keyboard_is_scored_and_still_there_after_a_restart():
    messages = []
    app = quiz_app()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await quiz_screen(pilot)
        assert screen.session.total == 7
        # Question 1 wrong on purpose (202 instead of 200), the other six right.
        await pilot.press("2", "enter")
        await quiz_screen(pilot, "feedback")
        assert "Not quite: the answer is 200" in str(screen.query_one(QuizFeedback).render())
        await pilot.press("enter")
        for number in range(2, 8):
            screen = await quiz_screen(pilot)
            assert screen.session.counter == f"{number} / 7"
            await answer_right(pilot, screen)
            assert "✓ Right" in str(screen.query_one(QuizFeedback).render())
            await pilot.press("enter")
        await quiz_screen(pilot, "results")
        shown = str(screen.query_one("#results-score").render())
        assert "6 of 7 points" in shown and "85.7 %" in shown and "Passed" in shown
        topics = str(screen.query_one("#results-topics").render())
        assert "Status codes" in topics and "3 of 4 right" in topics and "3 of 3 right" in topics
        # "Retry the ones I missed": only question 1 again, as practice.
        assert "Retry the one I missed" in str(screen.query_one("#quiz-retry").label)
        await pilot.press("r")
        await quiz_screen(pilot)
        assert [q.id for q in screen.session.questions] == [
            "qp-sync-status"
        ] and screen.session.counter == "1 / 1"
        assert "Retry of the ones missed" in str(screen.query_one("#masthead-left").render()), (
            "the header says so"
        )
        await answer_right(pilot, screen)
        await pilot.press("enter")
        await quiz_screen(pilot, "results")
        assert "Retry finished" in str(screen.query_one("#results-score").render())
    unique = list({id(message): message for message in messages}.values())  # bubbling hands each on twice
    answered = [(m.question_id, m.correct) for m in unique if isinstance(m, QuizScreen.Answered)]
    assert answered[0] == ("qp-sync-status", False) and all(correct for _, correct in answered[1:])
    quiz_done, retry_done = [m for m in unique if isinstance(m, QuizScreen.Finished)]
    assert quiz_done.attempt_id is not None and round(quiz_done.percent) == 86
    assert retry_done.mode == "retry" and retry_done.attempt_id is None and retry_done.percent == 100

    restarted = LambdaTutorApp("ann", [QUIZPACK], start=Start.quiz("quizpack"))
    async with restarted.run_test(size=SIZE) as pilot:
        await quiz_screen(pilot)
        assert len(restarted.store.quiz_attempts("ann")) == 1, "the retry stored no attempt"
        best = restarted.store.quiz_best("ann")["quizpack"]
        assert (best.points, best.max_points, round(best.percent)) == (6, 7, 86)
        assert [r.question_id for r in restarted.store.quiz_attempts("ann")[0].results if not r.correct] == [
            "qp-sync-status"
        ]
        assert restarted.store.review_card("ann", "qp-sync-status") is not None, "the miss is in review"
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: getattr(restarted.screen, "SCREEN_NAME", "") == "map", "the course map"
        )


async def test_the_mouse_picks_and_submits_and_l_opens_the_lesson():
    app = quiz_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)
        await pilot.press("tab", "2")
        assert screen.query_one("#quiz-answer-input").response == "202", "tab never takes the keys elsewhere"
        rows = list(screen.query("ChoiceRow"))
        await pilot.click(rows[0])
        await pilot.pause()
        assert screen.query_one("#quiz-answer-input").response == "200"
        await pilot.click("#quiz-go")
        await pilot.pause()
        await quiz_screen(pilot, "feedback")
        assert screen.session.answered[0].grade.correct
        await pilot.press("l")
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "lesson", "the lesson")
        assert app.screen.lesson.id == "quizpack-status"
        footer = screen_text(app).splitlines()[-1]
        assert "b Back to quiz" in footer, "the footer says back leads to the quiz, not the map"
        await pilot.press("escape")
        await quiz_screen(pilot, "feedback")


async def test_a_typed_answer_that_is_not_a_number_is_explained_and_not_graded():
    store = open_store()
    store.set_review_card("ann", "qp-retry-count", card_due(date(2026, 3, 1)))  # the numeric question, due
    store.close()
    app = quiz_app(module_id=None, review=True, clock=lambda: datetime(2026, 3, 2, tzinfo=UTC))
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)
        assert screen.session.current.kind == "numeric"
        await pilot.press(*"two", "enter")
        await pilot.pause()
        assert screen.phase == "question"
        assert "'two' is not a number" in str(screen.query_one("#quiz-hint").render())
        await pilot.press("backspace", "backspace", "backspace", "2", "enter")
        await quiz_screen(pilot, "feedback")
        assert screen.session.current_result.grade.correct


async def test_leaving_half_way_asks_first_and_stores_nothing():
    app = quiz_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)
        await answer_right(pilot, screen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen, "the first escape only asks"
        await pilot.press("escape")
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "map", "the course map")
        assert app.store.quiz_attempts("ann") == []


async def test_review_asks_the_due_questions_and_moves_their_cards():
    store = open_store()
    store.set_review_card("ann", "qp-async-202", card_due(date(2026, 3, 1)))
    store.set_review_card("ann", "qp-retry-count", card_due(date(2026, 3, 9), held_days=2))  # not due yet
    store.close()
    frozen = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    app = quiz_app(module_id=None, review=True, clock=lambda: frozen)
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)
        assert [q.id for q in screen.session.questions] == ["qp-async-202"]
        await answer_right(pilot, screen)
        await pilot.press("enter")
        await quiz_screen(pilot, "results")
        assert "Review finished" in str(screen.query_one(QuizResults).query_one("#results-score").render())
        moved = next_card(card_due(date(2026, 3, 1)), correct=True, today=date(2026, 3, 2))
        assert app.store.review_card("ann", "qp-async-202") == moved, "scheduled by FSRS as Good"
        assert moved.due > date(2026, 3, 2)
        assert app.store.quiz_attempts("ann") == []


async def test_an_empty_review_says_when_the_next_one_is():
    store = open_store()
    store.set_review_card("ann", "qp-retry-count", card_due(date(2026, 3, 9), held_days=2))
    store.close()
    app = quiz_app(module_id=None, review=True, clock=lambda: datetime(2026, 3, 2, tzinfo=UTC))
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot, "empty")
        assert "next review is on 2026-03-09" in str(screen.query_one("#quiz-status").render())


async def test_random_keys_never_break_the_quiz():
    """A seeded storm of the keys a learner might mash, through questions, feedback, results and retry."""
    import random

    keys = [
        "1",
        "2",
        "3",
        "4",
        "5",
        "9",
        "space",
        "enter",
        "enter",
        "enter",
        "up",
        "down",
        "u",
        "d",
        "shift+up",
        "shift+down",
        "l",
        "r",
        "x",
        "backspace",
        "tab",
        "home",
        "end",
        "escape",
    ]
    rng = random.Random(5)
    app = quiz_app()
    phases = set()
    async with app.run_test(size=SIZE) as pilot:
        await quiz_screen(pilot)
        for _ in range(20):
            for key in rng.sample(keys, 2):
                await pilot.press(key)
            screen = app.screen
            if isinstance(screen, QuizScreen):
                phases.add(screen.phase)
                # Then carry on like a learner, so the storm also reaches feedback, results and retries.
                if screen.phase == "question":
                    question = screen.session.current
                    await pilot.press(
                        *keys_for_right_answer(question, screen.session.computed_answer(question))
                    )
                    if screen.phase == "question":  # the storm left a matching half done: confirm it
                        await pilot.press("enter")
                elif screen.phase == "feedback":
                    await pilot.press("enter")
                phases.add(screen.phase)
            elif getattr(screen, "SCREEN_NAME", "") == "lesson":
                await pilot.press("escape")
            else:
                await app.push_screen(QuizScreen("quizpack"))
                await quiz_screen(pilot)
        assert app.is_running
    assert {"question", "feedback", "results"} <= phases


def test_the_palette_offers_each_module_quiz_and_the_review_with_its_count():
    from tutor.ui.palette import quiz_destinations

    store = open_store()
    store.set_review_card("ann", "qp-async-202", card_due(date(2020, 1, 1)))
    store.set_review_card("ann", "a-removed-question", card_due(date(2020, 1, 1)))
    store.close()
    app = quiz_app()
    places = list(quiz_destinations(app))
    app.store.close()
    by_title = {place.title: place for place in places}
    assert by_title["Quiz: Quiz pack: one question of each kind"].params == {"module_id": "quizpack"}
    assert by_title["Quiz: Quiz pack: one question of each kind"].help == "7 questions"
    assert by_title["Review (1 due)"].params == {"review": True}, "only questions still in the course count"
    assert {place.screen for place in places} == {"quiz"}


async def test_an_unknown_module_is_said_in_words_not_a_crash():
    app = quiz_app(module_id="no-such-module")
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot, "empty")
        assert "There is no module 'no-such-module'" in str(screen.query_one("#quiz-status").render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "map", "the course map")


async def test_enter_on_a_half_done_matching_asks_once_before_grading_it():
    app = quiz_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)
        while screen.session.current.kind != "matching":
            await answer_right(pilot, screen)
            await pilot.press("enter")
            screen = await quiz_screen(pilot)
        question = screen.session.current
        unmatched = len(question.matching_left) - 1
        await pilot.press("1", "enter")
        await pilot.pause()
        assert screen.phase == "question", "not graded on the first enter"
        hint = str(screen.query_one("#quiz-hint").render())
        assert f"{unmatched} items have no match yet" in hint or "1 item has no match yet" in hint
        await pilot.press("enter")
        await quiz_screen(pilot, "feedback")
        assert not screen.session.current_result.grade.correct


async def test_review_results_at_80_columns_keep_each_topic_on_one_row_and_do_not_grade_a_pass():
    """A long lesson title once pushed "points" onto a row of its own; a review was "not passed"."""
    from tutor.content.loader import load_course

    course = load_course()
    question = next(q for q in course[0].questions if q.id == "overview-async-no-order")  # true/false: false
    topic = course[0].lesson(question.lesson).title
    assert len(topic) > 44, "the test needs a title longer than the topic column"
    store = open_store()
    store.set_review_card("ann", question.id, card_due(date(2026, 3, 1)))
    store.close()
    app = LambdaTutorApp(
        "ann", [], start=Start.quiz(review=True, clock=lambda: datetime(2026, 3, 2, tzinfo=UTC))
    )
    async with app.run_test(size=SIZE) as pilot:
        await quiz_screen(pilot)
        await pilot.press("1", "enter")  # "true": wrong on purpose
        await quiz_screen(pilot, "feedback")
        await pilot.press("enter")
        await quiz_screen(pilot, "results")
        await pilot.pause()
        rows = screen_text(app).splitlines()
        topic_rows = [row for row in rows if topic[:20] in row]
        assert len(topic_rows) == 1 and "0 of 1 right" in topic_rows[0] and "0 / 1 points" in topic_rows[0], (
            rows
        )
        assert not any(row.strip() == "points" for row in rows)
        shown = "\n".join(rows)
        assert "Review finished" in shown and "Review finished: Review" not in shown
        assert "Not passed" not in shown, "a review is practice: no pass mark"
        assert "You missed 1. Press r to retry it; it also comes back in review tomorrow." in shown
