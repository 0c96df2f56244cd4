"""One lesson: objectives, the Markdown text, sources, and the slot for its live simulation."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from rich.style import Style as RichStyle
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownBlock

from tutor.ui.marks import lesson_mark
from tutor.ui.screens import SCREENS
from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place
from tutor.ui.widgets.prediction import CHECK_EVERY_S, PredictionPrompt
from tutor.ui.widgets.sim_pane import SimPane
from tutor.ui.widgets.simulation_slot import SimulationSlot

if TYPE_CHECKING:
    from tutor.ui.app import LambdaTutorApp

OBJECTIVES_HEADING = re.compile(
    r"^#{1,6}\s+(objectives|learning objectives|you will learn)\b", re.IGNORECASE | re.MULTILINE
)
SOURCES_HEADING = re.compile(r"^#{1,6}\s+(sources|references)\b", re.IGNORECASE | re.MULTILINE)
# Below 120 columns, a terminal this tall opens a lesson's pane under the text from the start.
PANE_OPEN_FROM_ROWS = 40


FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def plain_fences(body: str) -> str:
    """Mark fences without a language as text: unmarked, Textual guesses one and colours diagrams."""
    lines = body.split("\n")
    open_fence = None
    for number, line in enumerate(lines):
        match = FENCE.match(line)
        if match is None:
            continue
        fence = match["fence"]
        if open_fence is None:
            open_fence = fence
            if not match["info"].strip():
                lines[number] = f"{match['indent']}{fence}text"
        elif fence[0] == open_fence[0] and len(fence) >= len(open_fence) and not match["info"].strip():
            open_fence = None
    return "\n".join(lines)


SOURCE_ITEM = re.compile(
    r"^\s*[-*+]\s+(?:\[(?P<title>[^\]]*)\]\((?P<url>[^)\s]+)\)|<?(?P<bare>https?://[^\s>]+)>?)(?P<rest>.*)$"
)


def split_sources(body: str) -> tuple[str, list[tuple[str, str]]]:
    """The lesson text without its own sources list, and that list as (title, URL) pairs.

    The list is shown apart, one URL to a line that is never wrapped, so a URL copies whole.
    A sources section that holds anything but linked list items stays in the text as written.
    """
    match = SOURCES_HEADING.search(body)
    if match is None:
        return body, []
    section = body[match.end() :]
    following = re.search(r"^#{1,6}\s", section, re.MULTILINE)
    end = match.end() + (following.start() if following else len(section))
    found = []
    for line in body[match.end() : end].split("\n"):
        if not line.strip():
            continue
        item = SOURCE_ITEM.match(line)
        if item is None:
            return body, []
        url = item["url"] or item["bare"]
        title = (item["title"] or "").strip() or (item["rest"] or "").strip(" :—-")
        found.append((title, url))
    return (body[: match.start()].rstrip("\n") + "\n" + body[end:]).rstrip("\n") + "\n", found


def sources_content(sources: list[tuple[str, str]]) -> Text:
    """Each source's title, then its URL alone on the next line, as a link."""
    lines = []
    for title, url in sources:
        if title:
            lines.append(Text(f"• {title}"))
        lines.append(Text.assemble("  ", (url, RichStyle(link=url, underline=True))))
    return Text("\n", no_wrap=True).join(lines)


# What "back" returns to, named by the screen below the lesson, in the footer's few words.
BACK_TO = {
    "map": "map",
    "catalogue": "services",
    "quiz": "quiz",
    "exercise": "exercise",
    "exercises": "exercises",
    "search": "search",
    "glossary": "glossary",
}


class LessonScreen(Screen):
    AUTO_FOCUS = "#lesson-scroll"
    SCREEN_NAME = "lesson"
    HELP_TITLE = "Lesson"
    HELP_KEYS = (("↑ / ↓ / page up / page down / home / end", "Scroll the lesson"),)
    # In footer order; an 80-column footer drops keys from the end, so the ways to move through the
    # course (the text's links too) and to work the pane come first, and the quiz and the lab (also
    # on the map) last.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "n",
            "next_lesson",
            "Next",
            tooltip="Next lesson (into the next module at the end of one)",
            id="lesson.next",
        ),
        Binding("p", "previous_lesson", "Previous", tooltip="Previous lesson", id="lesson.previous"),
        Binding("w", "play_simulation", "Play", tooltip="Play the lesson's simulation", id="lesson.play"),
        Binding("w", "pause_simulation", "Pause", tooltip="Pause the lesson's simulation", id="lesson.pause"),
        Binding(
            "v",
            "show_pane",
            "Show pane",
            tooltip="Below 120 columns: show the simulation under the text",
            id="lesson.show-pane",
        ),
        Binding(
            "v",
            "hide_pane",
            "Hide pane",
            tooltip="Below 120 columns: hide the simulation (all but its control bar), for more text",
            id="lesson.hide-pane",
        ),
        Binding("b", "back", "Back to map", id="lesson.back"),
        Binding(
            "k",
            "links",
            "Links",
            tooltip="The lessons and glossary terms the text links to, in reading order; enter follows one",
            id="lesson.links",
        ),
        # From the pane (or the full-height pane) escape goes to the text first, never to the map;
        # the first escape binding that applies wins, so this one comes before the way back.
        Binding(
            "escape",
            "to_text",
            "Text",
            tooltip="From the simulation: back to the lesson text (again: back to the map)",
            id="lesson.to-text",
        ),
        Binding("escape", "back", "Back to map", show=False, id="lesson.back-escape"),
        # At 80 columns these fall off the footer first; the pane's border and hint name them.
        Binding(
            "s",
            "step_simulation",
            "Step",
            tooltip="Step the lesson's simulation to its next event",
            id="lesson.step",
        ),
        Binding(
            "f",
            "full_pane(True)",
            "Full pane",
            tooltip="Show the simulation over the whole lesson, diagram, counters and log at once",
            id="lesson.full-pane",
        ),
        Binding(
            "f",
            "full_pane(False)",
            "Lesson text",
            tooltip="Back from the full-height simulation to the lesson text",
            id="lesson.text-again",
        ),
        Binding("z", "quiz", "Quiz", tooltip="Take this module's quiz", id="lesson.quiz"),
        Binding(
            "g",
            "glossary",
            "Glossary",
            tooltip="The glossary, this lesson's terms first (a term's first use is a link to it)",
            id="lesson.glossary",
        ),
        Binding("l", "lab", "Lab", tooltip="Open the lab: the three models side by side", id="lesson.lab"),
        Binding("space", "page_down", "Page down", show=False, id="lesson.page-down"),
    ]

    app: LambdaTutorApp

    def __init__(self, lesson_id: str, find: str = "") -> None:
        """`find`: text to scroll to and highlight once the lesson shows (from search)."""
        super().__init__()
        self.lesson = self.app.course.lesson(lesson_id)
        self.find = find
        self.body, self.sources = split_sources(self.lesson.body)
        self.counted = False
        # Next and previous replace the lesson in place, so they keep the first lesson's way back.
        below = self.app.screen
        self.back_to: str = (
            below.back_to
            if isinstance(below, LessonScreen)
            else BACK_TO.get(getattr(below, "SCREEN_NAME", ""), "previous screen")
        )
        if self.back_to != "map":
            self._relabel_back(f"Back to {self.back_to}")
        # Below 120 columns the pane sits under the text; whether it is open is the learner's call
        # (v), kept from lesson to lesson. Until they make it, it opens only on a tall terminal.
        self.pane_choice: bool | None = below.pane_choice if isinstance(below, LessonScreen) else None
        # f: the pane over the whole screen instead of beside or under the text, until f or escape.
        self.pane_full = False
        self.slot: SimulationSlot | None = None

    def _relabel_back(self, description: str) -> None:
        # The binding lists are shared with the class's map: replace them, never edit them in place.
        keys = self._bindings.key_to_bindings
        for key in ("b", "escape"):
            keys[key] = [
                replace(binding, description=description) if binding.action == "back" else binding
                for binding in keys.get(key, [])
            ]

    # Layout -------------------------------------------------------------------------------------

    def on_screen_suspend(self) -> None:
        # A pane under help or a quiz would play on unseen; the lab and watch screens pause too.
        for pane in self.query(SimPane):
            pane.suspend_player()

    def on_screen_resume(self) -> None:
        for pane in self.query(SimPane):
            pane.resume_player()

    def compose(self) -> ComposeResult:
        course = self.app.course
        lesson = self.lesson
        order = course.ordered_lesson_ids()
        module = course.module(lesson.module)
        self.position = f"{order.index(lesson.id) + 1} / {len(order)}"
        yield Masthead(place(module.title))
        with Container(id="lesson-layout"):
            with VerticalScroll(id="lesson-scroll"):
                if not OBJECTIVES_HEADING.search(lesson.body):
                    with Vertical(id="lesson-objectives"):
                        yield Static("In this lesson you learn to", classes="objectives-heading")
                        for objective in lesson.objectives:
                            with Horizontal(classes="objective"):
                                yield Static("•", classes="objective-bullet")
                                yield Static(objective, classes="objective-text", markup=False)
                yield Markdown(id="lesson-body", open_links=False)
                sources = self.sources or (
                    [] if SOURCES_HEADING.search(lesson.body) else [("", url) for url in lesson.sources]
                )
                if sources:
                    with Vertical(id="lesson-sources"):
                        yield Static("Sources", classes="sources-heading")
                        # Scrolled sideways by the mouse; tab goes from the text to the pane, not here.
                        with ScrollableContainer(id="lesson-source-list", can_focus=False):
                            yield Static(sources_content(sources), id="lesson-source-urls")
                yield Static("", id="lesson-end")
            if lesson.scenario:
                self.slot = SimulationSlot(lesson.scenario, lesson.try_steps, id="simulation-slot")
                yield self.slot
        yield Footer()

    async def on_mount(self) -> None:
        self._fold_pane()
        self.already_read = self.lesson.id in self.app.store.read_lessons(self.app.profile)
        self._show_read_state()
        self.app.record(self.app.store.set_last_lesson, self.app.profile, self.lesson.id)
        await self._ask_prediction()
        # Queued behind the screen's resume: showing a screen restyles all of it, and focusing the
        # text (AUTO_FOCUS) restyles all of the text, so the text's blocks come after both and
        # are styled once, as they are mounted.
        self.call_later(self._show_text)

    async def _show_text(self) -> None:
        from tutor.content.glossary import link_terms

        terms = [term for term in self.app.course.glossary if self.lesson.id in term.lessons]
        await self.query_one("#lesson-body", Markdown).update(link_terms(plain_fences(self.body), terms))
        scroll = self.query_one("#lesson-scroll", VerticalScroll)
        if self.find:
            self.call_after_refresh(self.show_found)
        # Only once the text is laid out can "at the end" mean the learner got there.
        self.call_after_refresh(self._start_watching_end, scroll)

    def show_found(self) -> None:
        """Scroll to the block of the text that holds what search found, and highlight it."""
        from tutor.content.search import plain, words_of

        wanted = words_of(self.find)
        best: tuple[int, MarkdownBlock] | None = None
        for block in self.query_one("#lesson-body", Markdown).query(MarkdownBlock):
            words = words_of(plain(block.source or ""))
            if all(any(word.startswith(part) for word in words) for part in wanted):
                span = block.source_range[1] - block.source_range[0]
                if best is None or span <= best[0]:
                    best = (span, block)
        if best is None:
            return
        found = best[1]
        found.add_class("-found")
        self.query_one("#lesson-scroll", VerticalScroll).scroll_to_widget(found, top=True, animate=False)

    # Links: other lessons, the glossary, the web ------------------------------------------------

    def on_markdown_link_clicked(self, message: Markdown.LinkClicked) -> None:
        message.stop()
        self._follow(message.href)

    def _follow(self, href: str | None) -> None:
        from tutor.content.glossary import GLOSSARY_SCHEME, LESSON_SCHEME

        if href is None:
            return
        # Opened from the app's queue: awaited here, replacing this lesson would wait for this very
        # handler to finish.
        if href.startswith(LESSON_SCHEME):
            self.app.call_later(self.app.open_screen, "lesson", lesson_id=href.removeprefix(LESSON_SCHEME))
        elif href.startswith(GLOSSARY_SCHEME):
            self.app.call_later(self.app.open_screen, "glossary", term_id=href.removeprefix(GLOSSARY_SCHEME))
        else:
            self.app.open_url(href)

    def may_link(self) -> bool:
        """Whether the text links to a lesson or a term; cheap, for the footer, which asks often."""
        lesson_id = self.lesson.id
        return "](lesson:" in self.body or any(lesson_id in term.lessons for term in self.app.course.glossary)

    def action_links(self) -> None:
        """The text's links to lessons and terms, to follow from the keyboard (k)."""
        from tutor.content.glossary import link_terms
        from tutor.ui.screens.lesson_links import LessonLinksScreen, course_links

        course = self.app.course
        terms = [term for term in course.glossary if self.lesson.id in term.lessons]
        links = course_links(link_terms(plain_fences(self.body), terms), course)
        if not links:
            self.notify("This lesson links to no other lesson and no glossary term.", timeout=4)
            return
        self.app.push_screen(LessonLinksScreen(self.lesson.title, links), callback=self._follow)

    def _start_watching_end(self, scroll: VerticalScroll) -> None:
        self.watch(scroll, "scroll_y", self._check_end, init=False)
        self.watch(scroll, "virtual_size", self._check_end, init=False)
        self._check_end()

    def on_resize(self) -> None:
        self._fold_pane()
        if self.is_mounted:
            self.call_after_refresh(self._check_end)

    # The pane below the text --------------------------------------------------------------------

    def narrow(self) -> bool:
        return self.app.width_class() == "-narrow"

    def pane_open(self) -> bool:
        """Beside the text (120 columns and more) it always is; below it, see `pane_choice`."""
        if not self.narrow():
            return True
        if self.pane_choice is not None:
            return self.pane_choice
        # At 80x24 a shown pane (diagram whole, charts scrolled) leaves the text six rows; hidden,
        # it leaves all but two.
        return self.app.size.height >= PANE_OPEN_FROM_ROWS

    def _fold_pane(self) -> None:
        for slot in self.query(SimulationSlot):
            if not slot.query("#lesson-sim"):
                continue  # a scenario that cannot run is one line, nothing to hide
            folded = not self.pane_open() and not self.pane_full
            slot.set_class(folded, "-folded")
            if self.pane_full:
                slot.border_title = f" {slot.pane.title} · f or escape: back to the text "
            else:
                shows = "v shows it" if folded else "v hides it"
                slot.border_title = f" live simulation: {shows}, f fills the screen "
        self.refresh_bindings()

    def _choose_pane(self, shown: bool) -> None:
        self.pane_choice = shown
        self._fold_pane()

    def action_show_pane(self) -> None:
        self._choose_pane(True)

    def action_hide_pane(self) -> None:
        self._choose_pane(False)
        if self.pane_has_focus():
            # The hidden pane keeps only its buttons: the keyboard goes back to the text.
            self.query_one("#lesson-scroll").focus()

    def pane_has_focus(self) -> bool:
        focused = self.focused
        return focused is not None and any(isinstance(node, SimulationSlot) for node in focused.ancestors)

    def action_full_pane(self, full: bool) -> None:
        """The pane over the whole lesson (f), for a terminal too small for text and pane at once."""
        self.pane_full = full
        self.set_class(full, "-pane-full")
        self._fold_pane()
        if full:
            # The text is hidden: the pane takes the keyboard, so its keys work at once.
            self.query_one("#lesson-sim", SimPane).focus()
        else:
            self.query_one("#lesson-scroll").focus()

    def action_to_text(self) -> None:
        if self.pane_full:
            self.action_full_pane(False)
        else:
            self.query_one("#lesson-scroll").focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Tabbing (or clicking) into a hidden pane means wanting to see it.
        if self.pane_full:
            return  # already in full view: the choice under the text stays as it was
        if not self.pane_open() and any(isinstance(node, SimulationSlot) for node in event.widget.ancestors):
            self._choose_pane(True)

    # Predict, then watch ------------------------------------------------------------------------

    # The footer asks check_action about every key whenever the bindings change (a dozen times
    # while a lesson opens), and a query walks the whole lesson, every Markdown block of it: the
    # pane and the prompt are looked up among the slot's own children instead.

    def sim_pane(self) -> SimPane | None:
        """The lesson's live pane; None without one, or when its scenario cannot run."""
        slot = self.slot
        children = slot.children if slot is not None else ()
        return next((child for child in children if isinstance(child, SimPane)), None)

    def prediction_prompt(self) -> PredictionPrompt | None:
        slot = self.slot
        children = slot.children if slot is not None else ()
        return next((child for child in children if isinstance(child, PredictionPrompt)), None)

    async def _ask_prediction(self) -> None:
        """Above a pane that can run, the lesson's prediction (unless answered on an earlier visit);
        the pane waits until it is answered or skipped."""
        prediction = self.lesson.prediction
        panes = self.query("#lesson-sim").results(SimPane)
        pane = next(panes, None)
        if prediction is None or pane is None:
            return
        if self.lesson.id in self.app.store.predictions(self.app.profile):
            return  # asked once per lesson
        await self.query_one(SimulationSlot).mount(
            PredictionPrompt(prediction, id="lesson-prediction"), before=0
        )
        pane.disabled = True

    async def on_prediction_prompt_committed(self, message: PredictionPrompt.Committed) -> None:
        message.stop()
        if message.actual is not None:
            self.app.record(
                self.app.store.record_prediction,
                self.app.profile,
                self.lesson.id,
                message.predicted,
                message.actual,
                None if message.predicted is None else self._within(message.predicted, message.actual),
            )
            self._prediction_timer = self.set_interval(CHECK_EVERY_S, self._check_prediction_run)
        for pane in self.query("#lesson-sim").results(SimPane):
            pane.disabled = False
            pane.focus()
            pane.action_play()  # committed: now watch
        self.refresh_bindings()

    def _within(self, predicted: float, actual: float) -> bool:
        from tutor.quiz.grading import within

        assert self.lesson.prediction is not None, "only a lesson with a prediction commits one"
        return within(predicted, actual, self.lesson.prediction.tolerance)

    def _check_prediction_run(self) -> None:
        """The outcome shows once the pane's run of the lesson's own scenario (no try step) ends."""
        prompt = self.prediction_prompt()
        pane = next(self.query("#lesson-sim").results(SimPane), None)
        if prompt is None or pane is None:
            return
        if pane.run.done and pane.run.scenario is pane.base_scenario:
            prompt.show_outcome()
            self._prediction_timer.stop()

    # Reading ------------------------------------------------------------------------------------

    def at_end(self) -> bool:
        scroll = self.query_one("#lesson-scroll", VerticalScroll)
        return scroll.max_scroll_y == 0 or scroll.scroll_y >= scroll.max_scroll_y

    def _check_end(self, *_: object) -> None:
        if self.counted or not self.is_attached or not self.at_end():
            return
        self.counted = True
        if self.already_read:
            return
        if self.app.record(self.app.store.mark_read, self.app.profile, self.lesson.id):
            self.already_read = True
            self._show_read_state(just_counted=True)
            self.notify(f"Counted as read: {self.lesson.title}", title="✓ Lesson read", timeout=4)

    def _show_read_state(self, just_counted: bool = False) -> None:
        mark = lesson_mark(self.already_read)
        self.query_one(Masthead).show(right=f"lesson {self.position} · {mark}")
        following = self.app.course.next_lesson(self.lesson.id)
        then = (
            "press n for the next lesson" if following else "that was the last lesson; b returns to the map"
        )
        if just_counted:
            text = f"✓ End of lesson: counted as read. {then.capitalize()}."
        elif self.already_read:
            text = f"✓ End of lesson (already read). {then.capitalize()}."
        else:
            text = "End of lesson."
        self.query_one("#lesson-end", Static).update(text)

    # Actions ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        course = self.app.course
        if action == "next_lesson":
            return course.next_lesson(self.lesson.id) is not None
        if action == "previous_lesson":
            return course.previous_lesson(self.lesson.id) is not None
        if action == "quiz":
            return any(question.module == self.lesson.module for question in course.questions)
        if action == "lab":
            return "lab" in SCREENS
        if action == "glossary":
            return bool(course.glossary)
        if action == "links":
            return self.may_link()
        if action in ("show_pane", "hide_pane"):
            if self.pane_full or not self.narrow() or self.sim_pane() is None:
                return False
            return self.pane_open() == (action == "hide_pane")
        if action == "full_pane":
            return self.sim_pane() is not None and self.pane_full != bool(parameters and parameters[0])
        if action == "to_text":
            return self.pane_full or self.pane_has_focus()
        if action in ("play_simulation", "pause_simulation", "step_simulation"):
            pane = self.sim_pane()
            if pane is None:
                return False
            prompt = self.prediction_prompt()
            if prompt is not None and prompt.asking:
                return action == "play_simulation"  # w leads to the prediction first
            # The pane's own rule for space decides w too.
            return pane.player_check_action(action.removesuffix("_simulation"))
        return True

    def action_play_simulation(self) -> None:
        if not self.pane_open():
            self._choose_pane(True)  # played to be watched
        prompt = self.prediction_prompt()
        if prompt is not None and prompt.asking:
            prompt.focus_answer()
            return
        for pane in self.query("#lesson-sim").results(SimPane):
            pane.action_play()

    def action_pause_simulation(self) -> None:
        for pane in self.query("#lesson-sim").results(SimPane):
            pane.action_pause()

    def action_step_simulation(self) -> None:
        if not self.pane_open():
            self._choose_pane(True)  # stepped to be watched
        for pane in self.query("#lesson-sim").results(SimPane):
            pane.action_step()

    async def action_quiz(self) -> None:
        await self.app.open_screen("quiz", module_id=self.lesson.module)

    async def action_glossary(self) -> None:
        await self.app.open_screen("glossary", lesson_id=self.lesson.id)

    async def action_lab(self) -> None:
        await self.app.open_screen("lab")

    async def action_next_lesson(self) -> None:
        following = self.app.course.next_lesson(self.lesson.id)
        if following is not None:
            await self.app.open_screen("lesson", lesson_id=following.id)

    async def action_previous_lesson(self) -> None:
        previous = self.app.course.previous_lesson(self.lesson.id)
        if previous is not None:
            await self.app.open_screen("lesson", lesson_id=previous.id)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_page_down(self) -> None:
        self.query_one("#lesson-scroll", VerticalScroll).scroll_page_down()
