"""Pictures of the quiz screen: a question, its feedback, an ordering question and the results.

They use the frozen pack in tests/data/quizpack, so the built-in bank can grow without touching
these baselines. Update them with `pytest tests/test_ui_quiz_snapshots.py --snapshot-update`
after checking the new pictures (report.html) by eye.
"""

from test_ui_quiz import SIZE, answer_right, digit_for, quiz_app, quiz_screen


async def settle(pilot) -> None:
    await pilot.pause()
    pilot.app.clear_notifications()  # content warnings about the growing built-in course
    await pilot.pause()


def test_a_question(snap_compare):
    async def run_before(pilot):
        await quiz_screen(pilot)
        await pilot.press("down", "down")
        await settle(pilot)

    assert snap_compare(quiz_app(), terminal_size=SIZE, run_before=run_before)


def test_feedback_on_a_wrong_answer(snap_compare):
    async def run_before(pilot):
        screen = await quiz_screen(pilot)
        await pilot.press(digit_for(screen.session, screen.session.current, "429"), "enter")
        await quiz_screen(pilot, "feedback")
        await settle(pilot)

    assert snap_compare(quiz_app(), terminal_size=SIZE, run_before=run_before)


def test_feedback_on_a_partly_right_multiple_choice_at_120_columns(snap_compare):
    async def run_before(pilot):
        screen = await quiz_screen(pilot)
        await answer_right(pilot, screen)
        await pilot.press("enter")
        await quiz_screen(pilot)
        question = screen.session.current
        picks = ("RequestResponse", "Event", "Poll")  # two right, one wrong: (2 - 1) / 3
        await pilot.press(*(digit_for(screen.session, question, pick) for pick in picks), "enter")
        await quiz_screen(pilot, "feedback")
        await settle(pilot)

    assert snap_compare(quiz_app(), terminal_size=(120, 40), run_before=run_before)


def test_the_results(snap_compare):
    async def run_before(pilot):
        screen = await quiz_screen(pilot)
        while True:
            question = screen.session.current
            if question.kind == "single":
                await pilot.press(digit_for(screen.session, question, "202"), "enter")  # wrong
            elif question.kind == "matching":
                # Two of three matched right, the last left open: two thirds, once enter is confirmed.
                first, second = question.matching_left[:2]
                await pilot.press(
                    digit_for(screen.session, question, question.answer[first]),
                    digit_for(screen.session, question, question.answer[second]),
                    "enter",
                    "enter",
                )
            if question.kind in ("single", "matching"):
                await quiz_screen(pilot, "feedback")
            else:
                await answer_right(pilot, screen)
            await pilot.press("enter")
            await pilot.pause()
            if screen.phase == "results":
                break
            await quiz_screen(pilot)
        await settle(pilot)

    assert snap_compare(quiz_app(), terminal_size=SIZE, run_before=run_before)
