"""Every screen the app can open, by name.

`LambdaTutorApp.open_screen(name, **params)` is the one way to open a screen; it imports the
screen's module only then, so start-up pays only for the course map. A new screen (quiz, lab,
services catalogue, exercises) is a module in this package plus one line here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen

SCREENS: dict[str, str] = {
    "map": "tutor.ui.screens.course_map:CourseMapScreen",
    "lesson": "tutor.ui.screens.lesson:LessonScreen",
    "help": "tutor.ui.screens.help:HelpScreen",
    "problems": "tutor.ui.screens.problems:ProblemsScreen",
    "quiz": "tutor.ui.screens.quiz:QuizScreen",
    "lab": "tutor.ui.screens.lab:LabScreen",
    "exercises": "tutor.ui.screens.exercise_list:ExerciseListScreen",
    "exercise": "tutor.ui.screens.exercise:ExerciseScreen",
    "catalogue": "tutor.ui.screens.catalogue:CatalogueScreen",
    "watch": "tutor.ui.screens.watch:WatchScreen",
    "room": "tutor.ui.screens.room:RoomScreen",
    "search": "tutor.ui.screens.search:SearchScreen",
    "glossary": "tutor.ui.screens.glossary:GlossaryScreen",
}


def screen_class(name: str) -> type[Screen]:
    try:
        target = SCREENS[name]
    except KeyError:
        raise KeyError(f"no screen named {name!r}; known screens: {', '.join(sorted(SCREENS))}") from None
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)
