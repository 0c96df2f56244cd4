"""The links of a lesson's text, for the keyboard (k in a lesson): other lessons and glossary terms,
in reading order, each labelled with its kind; enter follows one, escape closes the list.

A click on a link in the text does the same; this is the way without a mouse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tutor.content.glossary import GLOSSARY_SCHEME, LESSON_SCHEME

if TYPE_CHECKING:
    from tutor.content.course import Course

# A Markdown link whose target is another lesson or a glossary entry (images excluded).
COURSE_LINK = re.compile(
    rf"(?<!!)\[(?P<text>[^\]]+)\]\((?P<href>(?:{LESSON_SCHEME}|{GLOSSARY_SCHEME})[^)\s]+)\)"
)
KIND_WIDTH = len("Lesson  ")


@dataclass(frozen=True)
class CourseLink:
    kind: str  # "Lesson" or "Term"
    text: str  # as the lesson's text shows it
    href: str
    target: str  # the linked lesson's title, or the term as the glossary names it


def course_links(markdown: str, course: Course) -> list[CourseLink]:
    """The lesson and glossary links of a lesson's (term-linked) text, in reading order; a link to
    something the course does not hold is left out, as it would lead nowhere."""
    terms = {term.id: term for term in course.glossary}
    found = []
    for match in COURSE_LINK.finditer(markdown):
        href = match["href"]
        text = " ".join(match["text"].replace("`", "").split())
        if href.startswith(LESSON_SCHEME):
            lesson = course.lessons.get(href.removeprefix(LESSON_SCHEME))
            if lesson is not None:
                found.append(CourseLink("Lesson", text, href, lesson.title))
        else:
            term = terms.get(href.removeprefix(GLOSSARY_SCHEME))
            if term is not None:
                found.append(CourseLink("Term", text, href, term.term))
    return found


def link_label(link: CourseLink) -> Content:
    kind = (link.kind.ljust(KIND_WIDTH), "bold $text-accent")
    if link.kind == "Lesson":
        return Content.assemble(kind, link.target, (f"  (“{link.text}”)", "$text-muted"))
    return Content.assemble(kind, link.target, ("  in the glossary", "$text-muted"))


class LessonLinksScreen(ModalScreen[str | None]):
    """Dismissed with the chosen link's target (`lesson:<id>` or `glossary:<id>`), or None."""

    SCREEN_NAME = "lesson-links"
    AUTO_FOCUS = "#lesson-links-list"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,k", "close", "Close", id="lesson-links.close"),
    ]
    DEFAULT_CSS = """
    LessonLinksScreen {
        align: center middle;
    }
    LessonLinksScreen #lesson-links-box {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 90%;
        padding: 0 1;
        border: round $primary;
        background: $surface;
    }
    LessonLinksScreen #lesson-links-title {
        text-style: bold;
    }
    LessonLinksScreen #lesson-links-hint {
        color: $text-muted;
    }
    LessonLinksScreen #lesson-links-list {
        height: auto;
        max-height: 100%;
    }
    """

    def __init__(self, lesson_title: str, links: list[CourseLink]) -> None:
        super().__init__()
        self.lesson_title = lesson_title
        self.links = links

    def compose(self) -> ComposeResult:
        with Vertical(id="lesson-links-box"):
            yield Static(f"Links in “{self.lesson_title}”", id="lesson-links-title", markup=False)
            yield Static("↑ ↓ choose · enter follows · escape closes", id="lesson-links-hint")
            yield OptionList(
                *(Option(link_label(link), id=str(index)) for index, link in enumerate(self.links)),
                id="lesson-links-list",
                compact=True,
            )

    @on(OptionList.OptionSelected, "#lesson-links-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.links[int(event.option.id or 0)].href)

    def action_close(self) -> None:
        self.dismiss(None)
