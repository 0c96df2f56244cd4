"""The live simulation pane: a flow diagram with live numbers, counters, charts, an event log, controls.

Pieces, reused by the lesson slot, the watch screen and the lab:

- `SimView` draws one `SimRun` (diagram, counters, sparklines, event log). It never steps the
  engine: whoever owns the `Player` advances the runs and then asks the views to `show` them.
- `SimControls` is the control bar (state, speed, simulated time and buttons for the mouse).
- `PlayerHost` is the timer and the actions (play/pause, step, step back, reset, speed) shared by
  `SimPane` and the lab screen. The timer runs only while playing, ten ticks a second, and each
  tick repaints once: the engine may process thousands of events in a tick, the screen is written
  at most ten times a second, and the log gets one batch every other tick.
- `ParamForm` edits the scenario with AWS's names and ranges (from `tutor.sim.params`); a refused
  value is shown inline with the scenario loader's one-line reason.
- `SimPane` is one run with its controls, its "try this" steps and its parameter form.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.dom import NoScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Select, Static, TabbedContent, TabPane

from tutor.errors import UserError
from tutor.sim.params import Param, params_for
from tutor.sim.params import show_value
from tutor.ui.widgets.sim_diagram import counter_lines, digest_chart_lines
from tutor.ui.widgets.sim_flow import RunFollower, billed_line, counters_since, flow_lines
from tutor.ui.widgets.sim_log import (
    LOG_LINES,
    EventLog,
    batch_lines,
    new_events,
    new_retries,
    retries_logged,
)
from tutor.sim.player import SPEEDS, Player, SimRun, clock_text
from tutor.ui.widgets.sim_text import TextBlock
from tutor.ui.widgets.sim_timeline import TimelineView

if TYPE_CHECKING:
    from tutor.content.course import TryStep

# The most a pane repaints in a second; while playing, the log takes a batch every LOG_EVERY ticks
# and the charts are redrawn every CHART_EVERY ticks, in the ticks between the log's.
TICKS_PER_SECOND = 10
LOG_EVERY = 2
CHART_EVERY = 2
# What the empty event log says: a paused pane at t = 0 otherwise looks like a broken one.
START_HINT = "Nothing has happened yet: space plays, s takes one step."
# Lines with these are drawings: cutting one is better than wrapping it.
DRAWN = re.compile(r"[╭╮╰╯│▁▂▃▄▅▆▇█]")
# The diagram's width before the first layout; narrower panes stack its boxes.
DEFAULT_DIAGRAM_WIDTH = 48
CRAMPED_BELOW = 24
# Shorter views draw the compact flow view and no charts, so the counters and six log lines fit
# under it (a full-height lesson pane at 80x24 is 18 rows; a watch screen at 100x30 is 25).
COMPACT_BELOW = 30
# A view whose flow is drawn above it (`SimView.flow_above`, the lab's tabs under their summary)
# leaves it there when shorter than this, so its counters and a few log lines fit (the lab at
# 80x24 gives a view 12 rows).
FLOW_ABOVE_BELOW = 20

PLAYER_BINDINGS: list[BindingType] = [
    # One key, two bindings: the footer names what space will do now (check_action shows one).
    Binding("space", "play", "Play", id="sim.play"),
    Binding("space", "pause", "Pause", id="sim.pause"),
    Binding("s,full_stop", "step", "Step", key_display="s", id="sim.step"),
    # In footer order: at 80 columns step back and reset (also buttons on the bar) fall off first.
    Binding("minus", "slower", "Slower", key_display="-", id="sim.slower"),
    Binding("plus,equals_sign", "faster", "Faster", key_display="+", id="sim.faster"),
    # "Back" alone reads as leaving the screen (the lesson's b goes back to the map).
    Binding("b,comma", "step_back", "Step back", key_display="b", id="sim.back"),
    Binding("r", "reset", "Reset", id="sim.reset"),
]
SPEED_CHARACTERS = {"slower": "-", "faster": "+"}
PLAYER_ACTIONS = {"play", "pause", "play_pause", "step", "step_back", "reset", "slower", "faster"}
BUTTON_ACTIONS = {
    "sim-play": "play_pause",
    "sim-step": "step",
    "sim-back": "step_back",
    "sim-reset": "reset",
    "sim-slower": "slower",
    "sim-faster": "faster",
}


class Composed:
    """`composed`: the children exist, so updates may be written (true from on_mount on).

    Textual's `is_mounted` only turns true after every on_mount handler has run, too late for
    the first picture.
    """

    @property
    def composed(self) -> bool:
        return bool(self.children)  # type: ignore[attr-defined]


def fit_lines(lines: Sequence[str], width: int) -> list[str]:
    """Sentences wrapped to the width (continuations indented); drawn lines (boxes, bars) kept whole."""
    fitted: list[str] = []
    for line in lines:
        if len(line) <= width or width < 20 or DRAWN.search(line):
            fitted.append(line)
        else:
            fitted.extend(
                textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False) or [line]
            )
    return fitted


class SimView(Composed, Vertical):
    """What one run looks like now. Widgets are written only when their text changes."""

    def __init__(
        self, run: SimRun, player: Player, caption: str = "", start_hint: str = START_HINT, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.run = run
        self.player = player
        self.caption = caption
        self.start_hint = start_hint
        self._log_generation = -1
        self._log_index = 0
        self._chart_key: tuple[int, float, int] | None = None
        self._live_ticks = 0
        # -- flow view (sim_flow): the run's follower is handed its events for the flow view and
        # the timeline; `counter_base` (the lab's reset key) is (time, counters then).
        self.follower = RunFollower.of(run)
        self.counter_base: tuple[float, dict] | None = None
        self._markers_logged = 0
        self._retries_logged = 0
        # Set by a screen that draws this run's flow elsewhere in view (the lab's summary).
        self.flow_above = False

    @property
    def leaves_flow_above(self) -> bool:
        """Short, with the flow drawn above: no flow view here."""
        return self.flow_above and 0 < self.size.height < FLOW_ABOVE_BELOW

    def compose(self) -> ComposeResult:
        if self.caption:
            yield Static(self.caption, classes="sim-caption", markup=False)
        with VerticalScroll(classes="sim-body", can_focus=False):
            yield TextBlock(classes="sim-diagram")
            yield TextBlock(classes="sim-counters")
            yield TextBlock(classes="sim-charts")
        yield EventLog(max_lines=LOG_LINES, placeholder=self.start_hint, classes="sim-log")

    def on_mount(self) -> None:
        self.show()

    def on_resize(self) -> None:
        # Short views drop the blank lines between their parts to keep room for the log.
        self.set_class(self.size.height < CRAMPED_BELOW, "-cramped")
        self._chart_key = None
        self.show()

    def set_caption(self, caption: str) -> None:
        if caption != self.caption and self.caption:
            self.caption = caption
            self.query_one(".sim-caption", Static).update(caption)

    def _width(self) -> int:
        width = self.content_size.width
        return width - 1 if width > 0 else DEFAULT_DIAGRAM_WIDTH

    def _write(self, selector: str, lines: Sequence[str], width: int) -> None:
        self.query_one(selector, TextBlock).set_lines(fit_lines(lines, width))

    def show(self, *, live: bool = False) -> None:
        """Draw the run as it is at the player's simulated time.

        `live` (a timer tick) lets the charts and the log wait for their turn in the cadence.
        """
        if not self.composed:
            return
        time = self.player.time
        run = self.run
        sim = run.sim
        snapshot = run.snapshot()
        width = self._width()
        self.follower.update()
        compact = 0 < self.size.height < COMPACT_BELOW
        if self.leaves_flow_above:
            self._write(".sim-diagram", [], width)
        else:
            flow = flow_lines(
                snapshot, run.scenario, self.follower, sim.stage_items(), width, compact=compact
            )
            self._write(".sim-diagram", flow, width)
        counters = counter_lines(counters_since(snapshot, self.counter_base))
        if self.counter_base is not None and snapshot["t"] >= self.counter_base[0]:
            counters.insert(0, f"counted from {clock_text(self.counter_base[0])} on")
        counters.append(billed_line(snapshot["billed"], width))
        self._write(".sim-counters", counters, width)
        # While playing, the charts are redrawn on a fixed cadence, not each time the run grows
        # by one bar: they span the whole run, so that rule redrew them 600 times in the first
        # minute of a long run and 20 in the fifth, and a pane's cost would fall, then jump, as
        # a learner watched. A fixed cadence costs the same in every minute of a run of any length.
        self._live_ticks = self._live_ticks + 1 if live else 0
        key = (run.generation, time, width)
        if compact:
            self._chart_key = None
            self._write(".sim-charts", [], width)
        elif key != self._chart_key and (not live or self._live_ticks % CHART_EVERY == 1):
            self._chart_key = key
            charts = digest_chart_lines(snapshot["model"], run.digest, time, width)
            self._write(".sim-charts", charts, width)
        # While playing, the log takes fewer batches than the other parts get frames: a scrolling
        # log redraws all its rows, the costliest part of a frame, and five a second read smoothly.
        if self._live_ticks % LOG_EVERY == 0:
            self._write_log()

    def _write_log(self) -> None:
        run = self.run
        log = self.query_one(".sim-log", EventLog)
        if run.generation != self._log_generation:
            self._log_generation = run.generation
            log.clear()
            self._log_index = 0
            self._markers_logged = 0
            self._retries_logged = 0
        # A change made to the run (a lab fault) is a marker line before the events after it.
        markers, self._markers_logged = self.follower.marker_lines(self._markers_logged)
        if markers:
            log.write_lines(markers)
        events = new_events(run, self._log_index)
        retries = new_retries(run, self._retries_logged)
        self._retries_logged = retries_logged(run)
        if events or retries:
            log.write_lines(batch_lines(events, retries))
        self._log_index = run.event_count


BUTTONS = (
    # id, label, short label (narrow panes), tooltip
    ("sim-play", "▶ Play", "▶", "Play or pause (space)"),
    ("sim-step", "» Step", "»", "Step to the next event (s or .)"),
    ("sim-back", "« Step back", "«", "Step back to the previous event (b or ,)"),
    ("sim-reset", "↺ Reset", "↺", "Back to the start (r)"),
    ("sim-slower", "− Slower", "−", "Slower (-)"),
    ("sim-faster", "+ Faster", "+", "Faster (+)"),
)
# Room the full labels need beside the status; below it the buttons show only their symbols.
FULL_LABELS_FROM = 100


class SimControls(Composed, Horizontal):
    """State, speed and simulated time, and a button for every key (for the mouse), on one line."""

    _status = ""

    def __init__(self, player: Player, **kwargs) -> None:
        super().__init__(**kwargs)
        self.player = player
        self.note = ""

    def on_mount(self) -> None:
        self.show(self.note)

    def compose(self) -> ComposeResult:
        yield Static("", classes="sim-status", markup=False)
        with Horizontal(classes="sim-buttons"):
            for button_id, label, _short, tooltip in BUTTONS:
                button = Button(label, id=button_id, compact=True, tooltip=tooltip)
                # Clicks press them; the keyboard has the keys, so tab does not stop on them.
                button.can_focus = False
                yield button

    def on_resize(self) -> None:
        self._label_buttons()

    def _label_buttons(self, playing: bool | None = None) -> None:
        full = self.size.width >= FULL_LABELS_FROM
        # A resize can reach the controls before their buttons mount or after they are removed.
        buttons = {button.id: button for button in self.query(Button)}
        if len(buttons) < len(BUTTONS):
            return
        for button_id, label, short, _tooltip in BUTTONS:
            button = buttons[button_id]
            shown = (label, short)
            if button_id == "sim-play":
                if playing is None:
                    playing = button.has_class("-playing")
                button.set_class(playing, "-playing")
                if playing:
                    shown = ("‖ Pause", "‖")
            text = shown[0] if full else shown[1]
            if str(button.label) != text:
                button.label = text
                button.refresh(layout=True)  # a label is not a layout change to Textual; its width is

    def show(self, note: str = "") -> None:
        self.note = note
        if not self.composed:
            return
        player = self.player
        status = player.status_text() + (f" · {note}" if note else "")
        if status != self._status:
            self._status = status
            self.query_one(".sim-status", Static).update(status, layout=False)
        self._label_buttons(player.playing)
        for button_id, disabled in (
            ("sim-play", player.finished),
            ("sim-step", player.finished),
            ("sim-slower", player.speed <= SPEEDS[0]),
            ("sim-faster", player.speed >= SPEEDS[-1]),
        ):
            button = self.query_one(f"#{button_id}", Button)
            if button.disabled != disabled:
                button.disabled = disabled


class PlayerHost:
    """The timer and the player actions, for a widget or screen that owns a `Player`.

    The host provides `player` and `repaint(live=...)`, calls `start_player_timer()` once mounted,
    and routes `on_button_pressed` through `press_player_button`.
    """

    player: Player
    _player_timer: Timer | None = None

    def start_player_timer(self) -> None:
        self._player_timer = self.set_interval(1 / TICKS_PER_SECOND, self._player_tick, pause=True)  # type: ignore[attr-defined]

    def _player_tick(self) -> None:
        ticked = self.player.tick()
        # Under another screen the run goes on unseen; its last picture is drawn when it stops.
        if ticked and (self.screen.is_current or not self.player.playing):  # type: ignore[attr-defined]
            self.repaint(live=self.player.playing)  # type: ignore[attr-defined]
        if not self.player.playing:
            self._sync_timer()
            self.refresh_bindings_if_changed()  # the run ended: space no longer pauses

    def _sync_timer(self) -> None:
        timer = self._player_timer
        if timer is None:
            return
        if self.player.playing:
            timer.resume()
        else:
            timer.pause()

    def player_changed(self) -> None:
        self._sync_timer()
        if not self._on_current_screen():
            return
        self.repaint(live=False)  # type: ignore[attr-defined]
        self.refresh_bindings_if_changed()

    def _on_current_screen(self) -> bool:
        """A key queued before escape can still reach a screen being closed, whose children are
        going; nothing there can be painted, and a screen that comes back repaints on resume."""
        try:
            return bool(self.screen.is_current)  # type: ignore[attr-defined]
        except NoScreen:
            return False

    def binding_state(self) -> tuple:
        """What decides which keys apply; the footer is rebuilt only when this changes."""
        player = self.player
        return (player.finished, player.playing, player.speed <= SPEEDS[0], player.speed >= SPEEDS[-1])

    def refresh_bindings_if_changed(self) -> None:
        state = self.binding_state()
        if state != getattr(self, "_binding_state", None):
            self._binding_state = state
            self.refresh_bindings()  # type: ignore[attr-defined]

    def suspend_player(self) -> None:
        """Another screen covers this one: stop playing (nothing to see) until `resume_player`."""
        self._resume_on_return = self.player.pause()
        self._sync_timer()

    def resume_player(self) -> None:
        if getattr(self, "_resume_on_return", False):
            self._resume_on_return = False
            self.player.play()
        self.player_changed()

    def player_check_action(self, action: str) -> bool | None:
        player = self.player
        # Textual hides the keys a focused input types, but does not know "minus" and "plus" are
        # "-" and "+": in a parameter field the footer offered Slower and Faster that only typed.
        character = SPEED_CHARACTERS.get(action)
        focused = self.app.focused  # type: ignore[attr-defined]
        if character and focused is not None and focused.check_consume_key(action, character):
            return False
        if action == "play":
            return not player.finished and not player.playing
        if action == "pause":
            return player.playing
        if action in ("play_pause", "step"):
            return not player.finished
        if action == "slower":
            return player.speed > SPEEDS[0]
        if action == "faster":
            return player.speed < SPEEDS[-1]
        return True

    def press_player_button(self, event: Button.Pressed) -> bool:
        action = BUTTON_ACTIONS.get(event.button.id or "")
        if action is None:
            return False
        event.stop()
        getattr(self, f"action_{action}")()
        return True

    def action_play_pause(self) -> None:
        self.player.toggle()
        self.player_changed()

    def action_play(self) -> None:
        self.player.play()
        self.player_changed()

    def action_pause(self) -> None:
        self.player.pause()
        self.player_changed()

    def action_step(self) -> None:
        self.player.step()
        self.player_changed()

    def action_step_back(self) -> None:
        self.player.step_back()
        self.player_changed()

    def action_reset(self) -> None:
        self.player.reset()
        self.player_changed()

    def action_slower(self) -> None:
        self.player.change_speed(-1)
        self.player_changed()

    def action_faster(self) -> None:
        self.player.change_speed(+1)
        self.player_changed()


# -- the parameter form ------------------------------------------------------------------------


def param_label(param: Param) -> str:
    return param.aws_name or param.key


def field_text(param: Param, value: Any) -> str:
    """A value as its form field shows it (choices and booleans bare, the rest as in TOML)."""
    if param.kind == "bool":
        return "true" if value else "false"
    if param.kind == "choice":
        return str(value)
    return show_value(value)


def param_hint(param: Param) -> str:
    unit = f" {param.unit}" if param.unit and param.kind in ("int", "float") else ""
    key = f"{param.key} · " if param.aws_name else ""
    return f"{key}{param.allowed()}{unit} · {param.help}"


def param_words(param: Param, error: str | None = None) -> Content:
    """A field's words: AWS's name, then the key, range and meaning, then any refusal."""
    parts = [
        Content.styled(param_label(param), "bold"),
        Content("\n"),
        Content.styled(param_hint(param), "$text-muted"),
    ]
    if error:
        parts += [Content("\n"), Content.styled(f"✗ refused: {error}", "bold $text-error")]
    return Content.assemble(*parts)


def form_order(model: str) -> list[Param]:
    """The model's own settings first, then the function's, then the load and the run."""
    section = "kinesis" if model in ("kinesis", "dynamodb") else model
    rank = {section: 0, "function": 1, "load": 2}
    params = params_for(model)
    return sorted(params, key=lambda param: rank.get(param.key.split(".")[0], 3))


class ParamForm(VerticalScroll):
    """One field per parameter that applies to the model: AWS's name, the value, the allowed range."""

    class Applied(Message):
        """A value was accepted: the pane restarts the run with `scenario`."""

        def __init__(self, scenario: Any, key: str) -> None:
            super().__init__()
            self.scenario = scenario
            self.key = key

    def __init__(self, scenario: Any, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.params = form_order(scenario.model)

    def compose(self) -> ComposeResult:
        yield Static(
            "Enter applies a value and restarts the run; ctrl+r restores the scenario's own values; "
            "escape leaves the form. Names are AWS's; ranges are AWS's unless marked as the simulator's.",
            classes="param-intro",
            markup=False,
        )

    @property
    def built(self) -> bool:
        return bool(self.query(".param-row"))

    async def build(self) -> None:
        """Mount the fields (done when the tab is first opened: a hidden form costs nothing)."""
        if not self.built:
            await self.mount_all(list(self._rows()))

    def _rows(self):
        # Two widgets a row (the words and the field): the form has twenty-odd rows to mount.
        for param in self.params:
            field_id = self.field_id(param.key)
            value = self.scenario.value(param.key)
            if param.kind in ("choice", "bool"):
                options = param.choices if param.kind == "choice" else ("true", "false")
                field: Widget = Select(
                    [(option, option) for option in options],
                    value=field_text(param, value),
                    allow_blank=False,
                    compact=True,
                    id=field_id,
                    classes="param-field",
                )
            else:
                field = Input(
                    field_text(param, value),
                    compact=True,
                    id=field_id,
                    classes="param-field",
                    select_on_focus=False,
                )
            words = Static(param_words(param), classes="param-words")
            yield Horizontal(words, field, classes="param-row")

    @staticmethod
    def field_id(key: str) -> str:
        return "param-" + key.replace(".", "--")

    def _param_of(self, widget_id: str | None) -> Param | None:
        for param in self.params:
            if self.field_id(param.key) == widget_id:
                return param
        return None

    def _row(self, param: Param) -> Widget:
        return self.query_one(f"#{self.field_id(param.key)}").parent  # type: ignore[return-value]

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # The field alone can be in view with its name and range cut off above it.
        row = event.widget.parent
        if isinstance(row, Widget) and row.has_class("param-row"):
            self.call_after_refresh(row.scroll_visible)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        param = self._param_of(event.input.id)
        if param is not None:
            event.stop()
            self.apply(param, event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        param = self._param_of(event.select.id)
        if param is None or event.value is Select.BLANK:
            return
        event.stop()
        if str(event.value) != field_text(param, self.scenario.value(param.key)):
            self.apply(param, str(event.value))

    def apply(self, param: Param, text: str) -> bool:
        """Try a value as typed; refuse it inline (with the AWS range) or post `Applied`."""
        text = text.strip()
        if not text and param.optional:
            text = "none"
        row = self._row(param)
        try:
            if not text:
                raise UserError(f"{param.key}: empty; allowed {param.allowed()}")
            scenario = self.scenario.with_overrides([f"{param.key}={text}"])
        except UserError as refusal:
            self._show_error(param, str(refusal))
            self._restore_select(param)
            self.call_after_refresh(row.scroll_visible)
            return False
        self._show_error(param, None)
        self.scenario = scenario
        self.post_message(self.Applied(scenario, param.key))
        return True

    def _show_error(self, param: Param, error: str | None) -> None:
        row = self._row(param)
        if error is None and not row.has_class("-invalid"):
            return
        row.set_class(error is not None, "-invalid")
        row.query_one(".param-words", Static).update(param_words(param, error))

    def _restore_select(self, param: Param) -> None:
        field = self.query_one(f"#{self.field_id(param.key)}")
        if isinstance(field, Select):
            with field.prevent(Select.Changed):
                field.value = field_text(param, self.scenario.value(param.key))

    def show_scenario(self, scenario: Any) -> None:
        """Another source (a try step) changed the scenario: show its values, clear the errors."""
        self.scenario = scenario
        if not self.built:
            return
        for param in self.params:
            field = self.query_one(f"#{self.field_id(param.key)}")
            value = field_text(param, scenario.value(param.key))
            if isinstance(field, Select):
                with field.prevent(Select.Changed):
                    field.value = value
            elif isinstance(field, Input):
                field.value = value
            self._show_error(param, None)


# -- the pane ----------------------------------------------------------------------------------


def overrides_text(changes: Mapping[str, Any]) -> str:
    return ", ".join(f"{key} = {show_value(value)}" for key, value in changes.items())


class TryStepList(VerticalScroll):
    """The lesson's "try this" steps, each a button (or its number key) that sets parameters."""

    def __init__(self, steps: Sequence[TryStep], **kwargs) -> None:
        super().__init__(**kwargs)
        self.steps = list(steps)

    def compose(self) -> ComposeResult:
        yield Static(
            "Each step starts from the lesson's scenario; keys 1 to 9 apply them too.",
            classes="try-intro",
            markup=False,
        )
        for number, step in enumerate(self.steps, start=1):
            with Horizontal(classes="try-row"):
                button = Button(f"Try {number}", id=f"try-{number}", compact=True, classes="try-button")
                button.can_focus = False
                yield button
                yield Static(
                    f"{step.text}\n[sets {overrides_text(step.set)}]", classes="try-text", markup=False
                )
        with Horizontal(classes="try-row"):
            button = Button("As set", id="try-0", compact=True, classes="try-button")
            button.can_focus = False
            yield button
            yield Static("Back to the lesson's own scenario.", classes="try-text", markup=False)


class SimPane(Composed, PlayerHost, Vertical, can_focus=True):
    """One scenario, live: controls, the view, the lesson's try steps and the parameter form."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *PLAYER_BINDINGS,
        *(
            Binding(str(number), f"try_step({number})", f"Try {number}", show=False, id=f"sim.try-{number}")
            for number in range(1, 10)
        ),
        # -- keys of the parameter form (start) --
        # Escape leaves a field for the pane (whose own escape, in a lesson, goes on to the text).
        Binding("escape", "leave_form", "Leave form", id="sim.leave-form"),
        # ctrl+r: a letter would be typed into the field; Textual's Input leaves ctrl+r alone.
        Binding(
            "ctrl+r",
            "restore",
            "Restore values",
            tooltip="Parameters: put back the scenario's own values and restart the run",
            id="sim.restore",
        ),
        # -- keys of the parameter form (end) --
    ]

    def __init__(
        self,
        scenario: Any,
        *,
        title: str = "",
        try_steps: Sequence[TryStep] = (),
        speed: float | None = None,
        start_hint: str = START_HINT,
        about: str = "",
        note: str = "",
        **kwargs,
    ) -> None:
        """`about`: what the scenario shows and what to look for (a preset's description), in its own tab;
        `note`: a line under the title until a change of parameters replaces it."""
        super().__init__(**kwargs)
        self.start_hint = start_hint
        self.about = " ".join(about.split())
        self.base_scenario = scenario
        self.title = title or scenario.title or scenario.model
        self.try_steps = list(try_steps)
        self.run = SimRun(scenario)
        self.player = Player([self.run], speed=speed)
        self.note = note

    def compose(self) -> ComposeResult:
        yield SimControls(self.player, classes="sim-controls")
        with TabbedContent(classes="sim-tabs"):
            with TabPane("Live", id="sim-live"):
                yield SimView(
                    self.run, self.player, caption=self.title, start_hint=self.start_hint, classes="sim-view"
                )
            # The hidden tabs are filled when first shown (`_fill_tab`): the first frame waits only
            # for what it shows. The form is there from the start (try steps show their values in
            # it); its rows are mounted when its tab opens.
            yield TabPane("Timeline", id="sim-timeline")
            if self.try_steps:
                yield TabPane("Try this", id="sim-try")
            with TabPane("Parameters", id="sim-params"):
                yield ParamForm(self.run.scenario, classes="param-form")
            if self.about:
                yield TabPane("About", id="sim-about")

    def _tab_content(self, pane_id: str) -> Widget | None:
        if pane_id == "sim-timeline":
            return TimelineView(classes="timeline-view")
        if pane_id == "sim-try":
            return TryStepList(self.try_steps, classes="try-list")
        if pane_id == "sim-about":
            return VerticalScroll(Static(self.about, markup=False), classes="about-text", can_focus=False)
        return None

    async def _fill_tab(self, pane: TabPane) -> None:
        content = self._tab_content(pane.id or "")
        if content is not None and not pane.children:
            await pane.mount(content)

    def on_mount(self) -> None:
        self.start_player_timer()
        self.repaint()

    def on_unmount(self) -> None:
        self.player.pause()

    @property
    def view(self) -> SimView:
        return self.query_one(SimView)

    def repaint(self, live: bool = False) -> None:
        if not self.composed:
            return
        self.query_one(SimControls).show(self._end_note())
        view = self.view
        view.set_caption(f"{self.title}\n{self.note}" if self.note else self.title)
        view.show(live=live)
        # The timeline tab is drawn only while shown; its lanes are fed by the view's follower.
        if self.query_one(TabbedContent).active == "sim-timeline":
            for timeline in self.query(TimelineView):
                timeline.show(view.follower.timeline, self.player.time)

    def _end_note(self) -> str:
        sim = self.run.sim
        if sim.done:
            words = "all work done" if sim.end_reason == "drained" else "reached until_s with work left"
            return f"run ended: {words}"
        return ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in PLAYER_ACTIONS:
            return self.player_check_action(action)
        if action == "try_step":
            return bool(parameters) and 1 <= int(parameters[0]) <= len(self.try_steps)  # type: ignore[call-overload]
        if action == "leave_form":
            return self.form_has_focus()
        if action == "restore":
            return self.composed and self.query_one(TabbedContent).active == "sim-params"
        return True

    # The parameter form's keys (start) -------------------------------------------------------------

    def form_has_focus(self) -> bool:
        focused = self.screen.focused
        return focused is not None and any(isinstance(node, ParamForm) for node in focused.ancestors)

    def action_leave_form(self) -> None:
        self.focus()

    def action_restore(self) -> None:
        """Back to the scenario as the lesson (or preset) set it, shown in the form; the run restarts."""
        self.note = "values restored: run restarted"
        self.player.restart(self.run, self.base_scenario)
        self.query_one(ParamForm).show_scenario(self.base_scenario)
        self.player_changed()
        self.notify("The scenario's own values are back; the run restarted.", title="Parameters restored")

    # The parameter form's keys (end) ---------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if self.press_player_button(event):
            return
        button_id = event.button.id or ""
        if button_id.startswith("try-"):
            event.stop()
            self.action_try_step(int(button_id.removeprefix("try-")))

    def on_click(self) -> None:
        # A click anywhere in the pane gives it the keyboard, so its keys work at once.
        if self.screen.focused is None or self not in self.screen.focused.ancestors_with_self:
            self.focus()

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        await self._fill_tab(event.pane)
        if event.pane.id == "sim-params":
            # A chain pane's Parameters tab has no form to build.
            for form in self.query(ParamForm):
                await form.build()
        elif event.pane.id == "sim-timeline":
            self.repaint()

    def on_param_form_applied(self, message: ParamForm.Applied) -> None:
        message.stop()
        self.note = f"{message.key} = {show_value(message.scenario.value(message.key))}: run restarted"
        self.player.restart(self.run, message.scenario)
        self.player_changed()

    # Try steps -------------------------------------------------------------------------------------

    def action_try_step(self, number: int) -> None:
        """Apply a try step's settings to the lesson's scenario (0: the scenario as the lesson set it)."""
        if number == 0:
            scenario, note = self.base_scenario, "the lesson's scenario"
        else:
            if not 1 <= number <= len(self.try_steps):
                return
            step = self.try_steps[number - 1]
            try:
                scenario = self.base_scenario.with_overrides(dict(step.set))
            except UserError as refusal:
                self.notify(str(refusal), title=f"Try {number} cannot run", severity="error")
                return
            note = f"try {number}: {overrides_text(step.set)}"
        self.note = note
        self.player.restart(self.run, scenario)
        self.query_one(ParamForm).show_scenario(scenario)
        self.query_one(TabbedContent).active = "sim-live"
        self.player.play()
        self.player_changed()
