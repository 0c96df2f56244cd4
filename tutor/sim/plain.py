"""Scenarios as plain frozen dataclasses, for the panes: built from values already checked.

`tutor.sim.scenario` checks a scenario with pydantic, whose import is most of what a lesson with a
pane or the lab would pay on the UI thread before its first frame. The panes do not need it: a
preset's values are checked once, when the course cache is built (`tutor.content.cache`), and the
lab's own scenarios are constants a test checks. `plain_scenario` turns such values into a
`PlainScenario`, which the simulator, the player and the panes read exactly like the validated
model (same attribute names, `async_` for `[async]`, `value()`, `resolved()`), and which holds
the same values: numbers of a float key are floats, as pydantic makes them.

A change (`with_overrides`) goes through the validator, so pydantic is imported when a learner
edits a parameter; only a key whose one rule is its own range (`RANGE_ONLY_KEYS`), given a value
of its type, is checked here, with the validator's own range check (`params.param_refusal`). Anything
else, including a value that check refuses, is the validator's to answer, with its one-line
message.

No pydantic here: the validator is imported only inside `with_overrides`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from tutor.sim.params import PARAMS, param_refusal

# Keys checked by their range alone: no rule of `tutor.sim.scenario` (its `_aws_refusals` and the
# load's explicit arrivals) reads them. A key added here must stay out of every such rule.
RANGE_ONLY_KEYS = frozenset(
    {
        "seed",
        "until_s",
        "load.start_s",
        "load.rate_per_s",
        "function.duration_ms",
        "function.cold_start_ms",
        "function.error_rate",
        "function.item_error_rate",
        "function.memory_mb",
    }
)
_SECTIONS = ("function", "load", "sync", "async", "sqs", "kinesis", "downstream", "prices")
# Keys that are not in PARAMS, with the key they follow in a section (the validated model's order).
_EXTRA_AFTER = {"function": ("faults", "item_error_rate"), "load": ("arrival_times_s", None)}


@dataclasses.dataclass(frozen=True)
class PlainFault:
    """A deterministic fault on one item (`tutor.sim.scenario.Fault`'s values)."""

    item: str
    kind: str = "error"
    attempts: Any = "all"

    def fails_attempt(self, attempt: int) -> bool:
        """Whether the item's `attempt`-th try (1-based) is hit by this fault."""
        return self.attempts == "all" or attempt <= self.attempts


def _section_keys(section: str) -> list[str]:
    keys = [key.split(".", 1)[1] for key in PARAMS if key.startswith(section + ".")]
    extra = _EXTRA_AFTER.get(section)
    if extra is not None:
        name, after = extra
        keys.insert(keys.index(after) + 1 if after else len(keys), name)
    return keys


# Each section's keys, from PARAMS: a key added there is here too.
SECTION_KEYS: dict[str, list[str]] = {section: _section_keys(section) for section in _SECTIONS}


class PlainSection:
    """One `[section]`'s values as attributes, in `SECTION_KEYS` order; frozen, and equal to
    another with the same values. (Not a dataclass per section: building eight classes at import
    costs more than a lesson's whole scenario.)"""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainSection) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(tuple(vars(self).items()))

    def __repr__(self) -> str:
        return "PlainSection(" + ", ".join(f"{key}={value!r}" for key, value in vars(self).items()) + ")"

    def replaced(self, changes: Mapping[str, Any]) -> PlainSection:
        return PlainSection({**vars(self), **changes})


def _attribute(section: str) -> str:
    return "async_" if section == "async" else section


@dataclasses.dataclass(frozen=True)
class PlainScenario:
    """A checked scenario's values; each section a `PlainSection`."""

    model: str
    seed: int
    until_s: float
    title: str | None
    description: str | None
    function: Any
    load: Any
    sync: Any
    async_: Any
    sqs: Any
    kinesis: Any
    downstream: Any
    prices: Any

    def resolved(self) -> dict[str, Any]:
        """Every key with its value, keyed as in the TOML file, absent (None) keys left out: the
        validated model's `resolved()`, in its order."""
        data: dict[str, Any] = {"model": self.model, "seed": self.seed, "until_s": self.until_s}
        for key in ("title", "description"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        for section in _SECTIONS:
            values = getattr(self, _attribute(section))
            table: dict[str, Any] = {}
            for name, value in vars(values).items():
                if name == "faults":
                    table[name] = [dataclasses.asdict(fault) for fault in value]
                elif isinstance(value, tuple):
                    table[name] = list(value)
                elif value is not None:
                    table[name] = value
            data[section] = table
        return data

    def value(self, key: str) -> Any:
        """The value of one dotted key, e.g. `scenario.value("sqs.batch_size")`."""
        node: Any = self
        for part in key.split("."):
            node = getattr(node, "async_" if part == "async" else part)
        return node

    def with_overrides(self, overrides: Iterable[str] | Mapping[str, Any]) -> PlainScenario:
        """A new scenario with some keys changed, checked like `load_scenario` (a `ScenarioError`
        with one line when it would not run)."""
        if isinstance(overrides, Mapping) and overrides:
            checked = [_checked_alone(key, value) for key, value in overrides.items()]
            if all(value is not None for value in checked):
                return self._replaced(dict(zip(overrides, checked, strict=True)))
        from tutor.sim.scenario import load_scenario  # pydantic: only for a change made here

        return plain_scenario(load_scenario(self.resolved(), overrides=overrides).resolved())

    def _replaced(self, changes: Mapping[str, Any]) -> PlainScenario:
        top: dict[str, Any] = {}
        sections: dict[str, dict[str, Any]] = {}
        for key, value in changes.items():
            section, _, name = key.rpartition(".")
            if section:
                sections.setdefault(_attribute(section), {})[name] = value
            else:
                top[key] = value
        for attribute, values in sections.items():
            top[attribute] = getattr(self, attribute).replaced(values)
        return dataclasses.replace(self, **top)


def _checked_alone(key: str, value: Any) -> Any:
    """`value` as the validator would keep it, if `key` is range-only and `value` of its type and
    within its range; None when only the validator can say."""
    if key not in RANGE_ONLY_KEYS or isinstance(value, bool):
        return None
    param = PARAMS[key]
    if param.kind == "int" and isinstance(value, int):
        kept: Any = value
    elif param.kind == "float" and isinstance(value, (int, float)):
        kept = float(value)
    else:
        return None
    return kept if param_refusal(param, kept) is None else None


def _kept(key: str, value: Any) -> Any:
    """A checked value as the validated model holds it: a float key's whole number as a float."""
    param = PARAMS.get(key)
    if param is not None and param.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def plain_scenario(values: Mapping[str, Any]) -> PlainScenario:
    """The `PlainScenario` of values that are already checked: a validated scenario's
    `resolved()`, or data a test proves valid. Keys left out take their defaults. Nothing is
    checked here: values that the validator has not accepted do not belong here."""
    sections: dict[str, Any] = {}
    for section, names in SECTION_KEYS.items():
        given = values.get(section, {})
        fields: dict[str, Any] = {}
        for name in names:
            key = f"{section}.{name}"
            if name == "faults":
                fields[name] = tuple(PlainFault(**fault) for fault in given.get("faults", ()))
            elif name == "arrival_times_s":
                times = given.get("arrival_times_s")
                fields[name] = None if times is None else tuple(float(at) for at in times)
            elif name in given:
                fields[name] = _kept(key, given[name])
            else:
                fields[name] = PARAMS[key].default
        sections[_attribute(section)] = PlainSection(fields)
    return PlainScenario(
        model=values["model"],
        seed=values.get("seed", PARAMS["seed"].default),
        until_s=_kept("until_s", values.get("until_s", PARAMS["until_s"].default)),
        title=values.get("title"),
        description=values.get("description"),
        **sections,
    )
