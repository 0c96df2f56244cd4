"""What tutor/ui/textual_fixes.py patches in Textual still has the shape the patches were written for.

The fixes replace private Textual functions, so an upgrade can break them silently: a renamed
method is no longer guarded, a new parameter is dropped. Each check names what changed and where to
look. The originals are read through `inspect.unwrap`, so the checks hold whether or not an app in
this process has applied the fixes yet.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import textual.command
from textual import events
from textual.command import CommandList, CommandPalette
from textual.message_pump import MessagePump
from textual.widget import Widget
from textual.widgets import OptionList

from tutor.ui.textual_fixes import PALETTE_GUARDS

PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"
INSTALLED = version("textual")


def changed(what: str) -> str:
    return f"Textual {INSTALLED} changed {what}: re-check tutor/ui/textual_fixes.py before upgrading"


def pinned(package: str) -> str:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["serve"]]
    [requirement] = [r for r in requirements if re.match(rf"{re.escape(package)}\s*==", r)]
    return requirement.split("==")[1].strip()


def original(cls: type, name: str):
    function = inspect.getattr_static(cls, name, None)
    assert function is not None, changed(f"{cls.__name__}.{name} (it is gone)")
    return inspect.unwrap(function)


def parameters(cls: type, name: str) -> list[str]:
    return list(inspect.signature(original(cls, name)).parameters)


@pytest.mark.parametrize("package", ["textual", "textual-serve"])
def test_the_installed_version_is_the_pinned_one(package):
    assert version(package) == pinned(package), (
        f"{package} {version(package)} is installed but pyproject pins {pinned(package)}: "
        "re-check tutor/ui/textual_fixes.py (and tutor/workshop/serve.py for textual-serve) before upgrading"
    )


def test_the_option_list_pages_by_its_laid_out_lines():
    assert parameters(CommandList, "_move_page") == ["self", "direction"], changed("OptionList._move_page")
    for name in ("_lines", "_index_to_line"):
        assert isinstance(inspect.getattr_static(OptionList, name, None), property), changed(
            f"OptionList.{name}"
        )
    assert inspect.getattr_static(OptionList, "highlighted", None) is not None, changed(
        "OptionList.highlighted"
    )


def test_timers_are_set_with_a_delay_a_callback_a_name_and_pause():
    assert parameters(CommandPalette, "set_timer") == ["self", "delay", "callback", "name", "pause"], changed(
        "MessagePump.set_timer"
    )


def test_widgets_dispatch_messages_through_one_coroutine_and_know_when_they_are_leaving():
    dispatch = original(Widget, "_dispatch_message")
    assert inspect.iscoroutinefunction(dispatch), changed("MessagePump._dispatch_message")
    assert list(inspect.signature(dispatch).parameters) == ["self", "message"], changed(
        "MessagePump._dispatch_message"
    )
    assert original(Widget, "_dispatch_message") is original(MessagePump, "_dispatch_message"), changed(
        "Widget._dispatch_message (Widget now has its own)"
    )
    assert Widget()._pruning is False, changed("DOMNode._pruning")
    for event in ("Mount", "ScreenResume", "Show", "Resize"):
        assert isinstance(getattr(events, event, None), type), changed(f"events.{event}")


EXPECTED_PALETTE_METHODS = {
    "_on_mount": (["self", "_"], False),
    "_watch__list_visible": (["self"], False),
    "_watch__show_busy": (["self"], True),
    "_action_command_list": (["self", "action"], False),
    "_action_cursor_down": (["self"], False),
    "_select_command": (["self", "event"], False),
    "_select_or_command": (["self", "event"], False),
}


@pytest.mark.parametrize("name", EXPECTED_PALETTE_METHODS)
def test_each_guarded_palette_method_keeps_its_shape(name):
    params, is_coroutine = EXPECTED_PALETTE_METHODS[name]
    method = original(CommandPalette, name)
    assert list(inspect.signature(method).parameters) == params, changed(f"CommandPalette.{name}")
    assert inspect.iscoroutinefunction(method) is is_coroutine, changed(f"CommandPalette.{name}")


def test_the_guards_cover_exactly_the_expected_methods():
    assert set(PALETTE_GUARDS) == set(EXPECTED_PALETTE_METHODS)


def test_the_palettes_message_handlers_are_dispatched_from_its_own_table():
    handlers = CommandPalette.__dict__.get("_decorated_handlers")
    assert isinstance(handlers, dict), changed("MessagePump's _decorated_handlers")
    listed = {inspect.unwrap(method).__name__ for entries in handlers.values() for method, _ in entries}
    assert {"_select_command", "_select_or_command"} <= listed, changed(
        "how CommandPalette's @on handlers are registered"
    )


def test_the_search_worker_wraps_a_coroutine_taking_the_search_value():
    gather = inspect.getattr_static(CommandPalette, "_gather_commands")
    assert hasattr(gather, "__wrapped__"), changed("CommandPalette._gather_commands (no longer @work)")
    search = inspect.unwrap(gather)
    assert inspect.iscoroutinefunction(search), changed("CommandPalette._gather_commands")
    assert list(inspect.signature(search).parameters) == ["self", "search_value"], changed(
        "CommandPalette._gather_commands"
    )
    assert isinstance(getattr(CommandPalette, "_GATHER_COMMANDS_GROUP", None), str), changed(
        "CommandPalette._GATHER_COMMANDS_GROUP"
    )


def palette_methods_that_look_around() -> set[str]:
    """The CommandPalette methods whose code queries the palette's children or the screen stack."""
    source = textwrap.dedent(inspect.getsource(textual.command))
    [palette] = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and node.name == "CommandPalette"
    ]
    found = set()
    for method in palette.body:
        if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            code = ast.unparse(method)
            if re.search(r"\bself\.(query_one|query|get_child_by_type)\(|screen_stack", code):
                found.add(method.name)
    return found


def test_every_palette_method_that_queries_its_children_is_guarded():
    """A method added or changed upstream that looks up the palette's children needs a guard too."""
    # The timers' callbacks are guarded by the set_timer patch, the worker by its own wrapper.
    guarded_otherwise = {"_start_no_matches_countdown", "_gather_commands"}
    unguarded = palette_methods_that_look_around() - set(PALETTE_GUARDS) - guarded_otherwise
    assert not unguarded, changed(f"CommandPalette: {sorted(unguarded)} now query the palette's children")
