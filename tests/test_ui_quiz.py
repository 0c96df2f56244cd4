"""The quiz screen driven like a learner would: keys (and a few clicks), feedback, results, review.

These use the tiny pack in tests/data/quizpack (one question of each kind), so they do not move
while the built-in bank grows.
"""

from datetime import UTC, date, datetime
from pathlib import Path

from conftest import card_due, screen_text, wait_for_text, wait_until
from textual.pilot import Pilot

from tutor.quiz.review import next_card
from tutor.content.course import Question
from tutor.progress.store import open_store
from tutor.quiz.session import QuizSession, presented_steps
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


def digit_for(session: QuizSession, question: Question, choice) -> str:
    """The digit key that picks `choice` where this attempt shows it (choices are shuffled)."""
    shown = [question.choices[position] for position in session.choice_order(question)]
    return str(shown.index(choice) + 1)


def keys_for_right_answer(session: QuizSession, question: Question) -> list[str]:
    """The keys a learner who knows the answer would press, ending with enter (submit)."""
    kind = question.kind
    computed = session.computed_answer(question)
    if kind == "single":
        return [digit_for(session, question, question.answer), "enter"]
    if kind == "truefalse":
        return ["1" if question.answer else "2", "enter"]
    if kind == "multiple":
        return [digit_for(session, question, choice) for choice in question.answer] + ["enter"]
    if kind == "matching":
        return [digit_for(session, question, question.answer[left]) for left in question.matching_left] + [
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
        return [digit_for(session, question, value), "enter"]
    return [*f"{value:g}", "enter"]


async def answer_right(pilot: Pilot, screen: QuizScreen) -> None:
    await pilot.press(*keys_for_right_answer(screen.session, screen.session.current))
    await quiz_screen(pilot, "feedback")


async def test_a_whole_quiz_by_keyboard_is_scored_and_still_there_after_a_restart():
    messages = []
    app = quiz_app()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await quiz_screen(pilot)
        assert screen.session.total == 7
        # Question 1 wrong on purpose (202 instead of 200), the other six right.
        await pilot.press(digit_for(screen.session, screen.session.current, "202"), "enter")
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
        question = screen.session.current
        await pilot.press("tab", digit_for(screen.session, question, "202"))
        assert screen.query_one("#quiz-answer-input").response == "202", "tab never takes the keys elsewhere"
        rows = list(screen.query("ChoiceRow"))
        await pilot.click(rows[int(digit_for(screen.session, question, "200")) - 1])
        await pilot.pause()
        assert screen.query_one("#quiz-answer-input").response == "200"
        await pilot.click("#quiz-go")
        await pilot.pause()
        await quiz_screen(pilot, "feedback")
        assert screen.session.answered[0].grade.correct
        await pilot.press("l")
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "lesson", "the lesson")
        assert app.screen.lesson.id == "quizpack-status"
        # The footer says back leads to the quiz, not the map.
        await wait_for_text(pilot, "b Back to quiz", row=-1)
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


def wrong_on_the_first_then_right(session: QuizSession, question: Question, position: int) -> list[str]:
    """The same answers for every run: the first question wrong (a wrong choice, wherever this
    attempt shows it), the rest right."""
    if position == 0:
        assert question.kind == "single", "the plan answers a single-choice first question wrong"
        wrong = next(choice for choice in question.choices if choice != question.answer)
        return [digit_for(session, question, wrong), "enter"]
    return keys_for_right_answer(session, question)


async def answer_as_planned(pilot: Pilot, screen: QuizScreen) -> None:
    session = screen.session
    question = session.current
    await pilot.press(*wrong_on_the_first_then_right(session, question, session.index))
    await quiz_screen(pilot, "feedback")


async def take_to_the_end(pilot: Pilot, screen: QuizScreen) -> None:
    while screen.phase != "results":
        await answer_as_planned(pilot, screen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.phase in ("question", "results"), "the next question")
        await pilot.pause()


async def reopen_from_the_map(pilot: Pilot, module_id: str = "quizpack") -> str:
    """On the course map, highlight the module and press z, as a learner would; returns what the
    map showed just before."""
    app = pilot.app
    await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "map", "the course map")
    tree = app.screen.query_one("#course-tree")
    tree.move_cursor(next(node for node in tree.root.children if node.data.id == module_id))
    await pilot.pause()
    shown = screen_text(app)
    await pilot.press("z")
    return shown


def stored_results(store, profile: str):
    [attempt] = store.quiz_attempts(profile)
    return [(r.question_id, r.points, r.correct) for r in attempt.results], attempt.percent


async def test_a_quiz_left_after_three_answers_resumes_in_order_and_scores_as_if_never_left():
    uninterrupted = LambdaTutorApp("ann", [QUIZPACK], start=Start.quiz("quizpack"))
    async with uninterrupted.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)
        await take_to_the_end(pilot, screen)
        straight_through = stored_results(uninterrupted.store, "ann")

    app = LambdaTutorApp("bob", [QUIZPACK], start=Start.quiz("quizpack"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)
        order = [q.id for q in screen.session.questions]
        for _ in range(3):
            await answer_as_planned(pilot, screen)
            await pilot.press("enter")
            await quiz_screen(pilot)
        given = [(a.question.id, a.response, a.grade.points) for a in screen.session.answered]
        await pilot.press("escape")
        on_the_map = await reopen_from_the_map(pilot)
        assert "Quiz     quiz in progress: question 4 of 7  (z resumes it)" in on_the_map
        assert "not taken" not in on_the_map
        await wait_until(pilot, lambda: getattr(app.screen, "phase", "") == "choice", "the choice to resume")
        await wait_for_text(pilot, "Resume at question 4")
        shown = screen_text(app)
        assert "You left this quiz before the end." in shown
        assert "Question 4 of 7 is next; you answered 3 (2 right)" in shown
        assert "Resume at question 4" in shown and "New quiz (n)" in shown
        assert "⏎ Resume  n New quiz" in shown.splitlines()[-1], "the footer says what enter does"
        assert app.store.quiz_attempts("bob") == [], "nothing is scored before the end"
        await pilot.press("enter")
        resumed = await quiz_screen(pilot)
        assert resumed.session.counter == "4 / 7"
        assert [q.id for q in resumed.session.questions] == order, "the same questions in the same order"
        assert [(a.question.id, a.response, a.grade.points) for a in resumed.session.answered] == given
        await take_to_the_end(pilot, resumed)
        shown = screen_text(app)
        assert "6 of 7 points" in shown and "85.7 %" in shown
        assert stored_results(app.store, "bob") == straight_through
        assert app.store.kept_quiz("bob", "quizpack") is None, "a finished quiz is no longer kept"


async def test_starting_a_new_quiz_drops_the_one_left():
    app = quiz_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)
        for _ in range(2):
            await answer_as_planned(pilot, screen)
            await pilot.press("enter")
            await quiz_screen(pilot)
        await pilot.press("escape")
        await reopen_from_the_map(pilot)
        await wait_until(pilot, lambda: getattr(app.screen, "phase", "") == "choice", "the choice to resume")
        await pilot.press("n")
        fresh = await quiz_screen(pilot)
        assert fresh.session.counter == "1 / 7" and fresh.session.answered == []
        assert app.store.kept_quiz("ann", "quizpack") is None, "the quiz left is dropped"
        await pilot.press("escape")
        await reopen_from_the_map(pilot)
        await quiz_screen(pilot)  # straight to question 1: nothing to resume


async def test_a_quiz_left_by_quitting_the_app_is_offered_again_by_a_new_app():
    app = quiz_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)
        for _ in range(3):
            await answer_as_planned(pilot, screen)
            await pilot.press("enter")
            await quiz_screen(pilot)
        given = [(a.question.id, a.grade.points) for a in screen.session.answered]
        await pilot.press("ctrl+q")

    restarted = quiz_app()
    async with restarted.run_test(size=SIZE) as pilot:
        # The phase is set before the choice is painted: wait for what a learner would see.
        await wait_for_text(pilot, "Resume at question 4")
        await pilot.click("#quiz-begin")
        screen = await quiz_screen(pilot)
        assert screen.session.counter == "4 / 7"
        assert [(a.question.id, a.grade.points) for a in screen.session.answered] == given


async def test_a_big_module_offers_a_draw_or_every_question():
    app = LambdaTutorApp("ann", [], start=Start.quiz("sync"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "phase", "") == "choice", "the start choice")
        await wait_for_text(pilot, "questions, drawn from the")
        bank = sum(1 for q in app.course.questions if q.module == "sync")
        shown = screen_text(app)
        assert f"12 questions, drawn from the {bank} of this module." in shown
        assert f"All {bank} questions (a)" in shown and "New quiz" not in shown
        await pilot.press("a")
        screen = await quiz_screen(pilot)
        assert screen.session.total == bank and screen.session.counter == f"1 / {bank}"

    every = LambdaTutorApp("bob", [], start=Start.quiz("sync", every_question=True))
    async with every.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)  # --all skips the choice: there is none to make
        assert screen.session.total == bank


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
        "n",
        "a",
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
                    await pilot.press(*keys_for_right_answer(screen.session, screen.session.current))
                    if screen.phase == "question":  # the storm left a matching half done: confirm it
                        await pilot.press("enter")
                elif screen.phase in ("feedback", "choice"):
                    await pilot.press("enter")
                phases.add(screen.phase)
            elif getattr(screen, "SCREEN_NAME", "") == "lesson":
                await pilot.press("escape")
            else:
                await app.push_screen(QuizScreen("quizpack"))
                await wait_until(
                    pilot,
                    lambda: getattr(app.screen, "phase", "") in ("question", "choice"),
                    "the quiz or the choice to resume it",
                )
        assert app.is_running
    assert {"question", "feedback", "results", "choice"} <= phases


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


async def test_a_matching_pick_moves_to_the_next_item_and_the_hint_says_so_within_80_columns():
    app = quiz_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await quiz_screen(pilot)
        while screen.session.current.kind != "matching":
            await answer_right(pilot, screen)
            await pilot.press("enter")
            screen = await quiz_screen(pilot)
        rows = screen_text(app).splitlines()
        [hint] = [row for row in rows if "↑↓ choose;" in row]
        assert "1-3 match it and move on; enter submits." in hint and len(hint.rstrip()) <= 80
        widget = screen.query_one("#quiz-answer-input")
        assert widget.cursor == 0
        await pilot.press("1")
        assert widget.cursor == 1, "the pick moved the highlight on, as the hint says"
        await pilot.press("enter")
        await pilot.pause()
        [warning] = [row for row in screen_text(app).splitlines() if "no match yet" in row]
        assert "✗ 2 items have no match yet: enter again submits as is." in warning
