"""Where a lesson's live simulation goes: beside the text from 120 columns, below it when narrower.

The lesson screen composes one `SimulationSlot` (id `simulation-slot`) for every lesson with a
`scenario`; the simulation pane is mounted into it (`slot.mount(pane)`). While the slot has no
displayed children the stylesheet hides it (`SimulationSlot:empty`), so the text keeps the room.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Container

if TYPE_CHECKING:
    from tutor.content.models import TryStep


class SimulationSlot(Container):
    def __init__(self, scenario: str, try_steps: list[TryStep], **kwargs) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.try_steps = try_steps
