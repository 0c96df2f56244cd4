"""Chains of functions: the output of one stage becomes the input of the next (two hops and more).

A chain file is a list of `[[stages]]`, each a scenario of its own (every key of
docs/simulation-model.md) plus `name` and, from the second stage on, `via`: how it receives what
the stage before hands on.

- `via = "sqs"`: the stage before sends one SQS message per item; this stage is `model = "sqs"`.
- `via = "sns"`: it publishes to an SNS topic that invokes this stage asynchronously; `model = "async"`.
- `via = "lambda"`: it invokes this stage asynchronously (Invoke with `InvocationType=Event`);
  `model = "async"`.

A stage hands an item on when an invocation holding it ends `ok` and the item is not among that
invocation's failed items: the send is the handler's last step, made once its work succeeded. So
a function error or timeout sends nothing, and every successful processing sends once: a message
processed twice upstream arrives twice downstream, and a synchronous stage whose caller gave up
(504) still sends, because the function ran on to its end.

Nothing flows back from a later stage to an earlier one (a queue, a topic and an asynchronous
invoke all answer at once), so the chain is run stage after stage: each stage runs to its end with
the engine as a scenario of its own, and the times at which it handed items on become the next
stage's arrivals (`load.pattern = "explicit"`). Every stage keeps its own model's semantics, its
own counters and summary. The hop itself takes no time in the simulator.

End to end: an item that enters the first stage is delivered when one of its copies is processed
successfully by the last stage; its end-to-end latency runs from its arrival at the first stage to
the first such success. `end_to_end` counts `items`, `delivered` and `lost` (failed or unfinished
somewhere along the way) and gives the latency percentiles like a summary's `latency_s`.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from tutor.sim.params import PARAMS
from tutor.sim.scenario import (
    PRESET_DIR,
    LoadConfig,
    Scenario,
    ScenarioError,
    _check_param,
    _looks_like_path,
    _parse_override,
    _read_toml,
    load_scenario,
    show_value,
)

CHAIN_DIR = PRESET_DIR / "chains"
VIA_MODELS = {"sqs": "sqs", "sns": "async", "lambda": "async"}
MAX_STAGES = 5  # a simulator limit: the classic chains have two
DEFAULT_NAMES = ("A", "B", "C", "D", "E")
# Set once for the whole chain; a stage that sets them is refused so one file means one run.
CHAIN_KEYS = ("seed", "until_s", "title", "description")
# A later stage whose load is placeholder while validating: its faults may name any item.
_LATER_LOAD = {"count": PARAMS["load.count"].max, "pattern": "burst"}


class _ChainFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: str | None = None
    description: str | None = None
    seed: int = PARAMS["seed"].default  # type: ignore[assignment]  # PARAMS holds it as an object
    until_s: float = PARAMS["until_s"].default  # type: ignore[assignment]  # the same
    stages: list[dict[str, Any]] = Field(min_length=2, max_length=MAX_STAGES)


@dataclass
class Stage:
    name: str
    via: str | None  # None for the first stage
    scenario: Scenario  # a later stage's load is replaced by what the stage before hands on
    data: dict[str, Any]  # the stage's keys as written (after overrides), for the resolved chain


@dataclass
class Chain:
    title: str | None
    description: str | None
    seed: int
    until_s: float
    stages: list[Stage]

    @property
    def models(self) -> str:
        return " -> ".join(stage.scenario.model for stage in self.stages)

    def resolved(self) -> dict[str, Any]:
        """The chain as run: each stage's every key with defaults (a later stage has no `load`)."""
        stages = []
        for index, stage in enumerate(self.stages):
            resolved = stage.scenario.resolved()
            for key in ("seed", "until_s", "title", "description"):
                resolved.pop(key, None)
            if index:
                resolved.pop("load", None)
            head: dict[str, Any] = {"name": stage.name}
            if stage.via is not None:
                head["via"] = stage.via
            stages.append({**head, **resolved})
        document: dict[str, Any] = {"seed": self.seed, "until_s": self.until_s, "stages": stages}
        if self.title:
            document = {"title": self.title, **document}
        return document


@dataclass
class StageResult:
    name: str
    via: str | None
    model: str
    summary: dict
    handed_on: int  # items this stage sent to the next (every successful processing)

    def as_json(self) -> dict:
        head: dict[str, Any] = {"name": self.name, "model": self.model}
        if self.via is not None:
            head["via"] = self.via
        return {**head, "handed_on": self.handed_on, "summary": self.summary}


@dataclass
class ChainResult:
    stages: list[StageResult] = field(default_factory=list)
    end_to_end: dict = field(default_factory=dict)


@dataclass
class ChainPlan:
    """What a live pane needs to play the chain again on one clock (`tutor.sim.chain_player`):
    every stage's scenario as it ran (a later stage's explicit load), when each stage handed
    items on and which first-stage items they were, when each first-stage item arrived and when
    it was first delivered (math.inf if never)."""

    scenarios: list[Scenario] = field(default_factory=list)
    handed_times: list[array] = field(default_factory=list)
    handed_origins: list[array] = field(default_factory=list)
    arrivals: array = field(default_factory=lambda: array("d"))
    first_done: array = field(default_factory=lambda: array("d"))


# -- finding and loading ------------------------------------------------------------------------


def _chain_dirs(search_dirs: Iterable[Path | str]) -> list[Path]:
    return [CHAIN_DIR, *(Path(directory) / "chains" for directory in search_dirs)]


def chain_files(search_dirs: Iterable[Path | str] = ()) -> dict[str, Path]:
    """Chain preset name -> file; a built-in name is never shadowed by a pack."""
    found: dict[str, Path] = {}
    for directory in _chain_dirs(search_dirs):
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                found.setdefault(path.stem, path)
    return found


def list_chains(search_dirs: Iterable[Path | str] = ()) -> list[tuple[str, str, str, str]]:
    """(name, title, description, "chain") of every chain preset, like `list_presets`."""
    rows = []
    for name, path in chain_files(search_dirs).items():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            rows.append((name, f"(unreadable: {error})", "", "chain"))
            continue
        rows.append((name, str(data.get("title", name)), str(data.get("description", "")), "chain"))
    return rows


def chain_source(source: str | Path, search_dirs: Iterable[Path | str] = ()) -> tuple[str, dict] | None:
    """(where, data) if `source` names a chain preset or a chain file (one with `[[stages]]`), else
    None: then it is a single-function scenario for `load_scenario`."""
    if not isinstance(source, Path) and not _looks_like_path(source):
        presets = chain_files(search_dirs)
        if source in presets:
            return f"chain {source!r}", _read_toml(presets[source])
        if not Path(source).is_file():
            return None
    path = Path(source)
    if not path.is_file():
        return None
    data = _read_toml(path)
    return (f"scenario file {str(path)!r}", data) if "stages" in data else None


def _shell_error(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    key = ".".join(str(part) for part in first["loc"])
    value = first.get("input")
    if first["type"] == "extra_forbidden":
        choices = list(_ChainFile.model_fields)
        close = difflib.get_close_matches(key, choices, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        allowed = ", ".join(choices)
        return (
            f"{key} = {show_value(value)}: unknown key; {hint}keys allowed at the top of a chain: {allowed}"
        )
    if key == "stages" or key.startswith("stages"):
        return f"stages: allowed 2..{MAX_STAGES} [[stages]] tables, each a scenario with a name"
    allowed = PARAMS[key].allowed() if key in PARAMS else "a string"
    return f"{key} = {show_value(value)}: wrong type; allowed {allowed}"


def load_chain(
    source: str | Path | Mapping[str, Any],
    overrides: Iterable[str] | Mapping[str, Any] = (),
    seed: int | None = None,
    search_dirs: Iterable[Path | str] = (),
) -> Chain:
    """A validated chain from a chain preset name, a file or a dict (whose errors the caller
    prefixes with where it came from).

    `overrides` are `KEY=VALUE` texts (or a mapping): `seed` and `until_s` for the whole chain, or
    `STAGE.key` for one stage by its name (`B.sqs.batch_size=5`). Every refusal is one line naming
    the file (or preset), the stage and the key.
    """
    if isinstance(source, Mapping):
        return _build(dict(source), overrides, seed)
    found = chain_source(source, search_dirs)
    if found is None:
        raise ScenarioError(f"chain {str(source)!r}: no such chain preset or chain file")
    where, data = found
    try:
        return _build(data, overrides, seed)
    except ScenarioError as error:
        raise ScenarioError(f"{where}: {error}") from None


def _build(data: dict, overrides: Iterable[str] | Mapping[str, Any], seed: int | None) -> Chain:
    try:
        shell = _ChainFile.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(_shell_error(error)) from None
    names = [str(stage.get("name", DEFAULT_NAMES[index])) for index, stage in enumerate(shell.stages)]
    stage_overrides: dict[str, dict[str, Any]] = {name: {} for name in names}
    pairs = overrides.items() if isinstance(overrides, Mapping) else map(_parse_override, overrides)
    for key, value in pairs:
        if key in ("seed", "until_s"):
            setattr(shell, key, value)
            continue
        stage_name, _, rest = key.partition(".")
        if stage_name not in stage_overrides or not rest:
            raise ScenarioError(
                f"{key} = {show_value(value)}: unknown key; a chain takes seed, until_s or "
                f"STAGE.key with STAGE one of {', '.join(names)} (such as {names[-1]}.function.duration_ms)"
            )
        stage_overrides[stage_name][rest] = value
    if seed is not None:
        shell.seed = seed
    for key in ("seed", "until_s"):
        value = getattr(shell, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(f"{key} = {show_value(value)}: wrong type; allowed {PARAMS[key].allowed()}")
        try:
            _check_param(PARAMS[key], value)
        except PydanticCustomError as refusal:
            raise ScenarioError(refusal.message()) from None
    if len(set(names)) != len(names):
        raise ScenarioError(f"stages: names must differ (given {', '.join(names)})")
    stages = [
        _stage(index, names[index], dict(stage), stage_overrides[names[index]], shell)
        for index, stage in enumerate(shell.stages)
    ]
    return Chain(shell.title, shell.description, shell.seed, float(shell.until_s), stages)


def _stage(index: int, name: str, data: dict, overrides: dict[str, Any], shell: _ChainFile) -> Stage:
    label = f"stages[{index}] ({name})"
    data.pop("name", None)
    if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
        raise ScenarioError(f"{label}.name = {show_value(name)}: allowed letters, digits, - and _")
    via = data.pop("via", None)
    for key in CHAIN_KEYS:
        if key in data:
            raise ScenarioError(f"{label}.{key}: set it once at the top of the chain, not in a stage")
    if index == 0:
        if via is not None:
            raise ScenarioError(f"{label}.via = {show_value(via)}: the first stage takes its [load] instead")
    else:
        if via not in VIA_MODELS:
            raise ScenarioError(
                f"{label}.via = {show_value(via)}: allowed one of {', '.join(VIA_MODELS)} (how this "
                "stage receives what the stage before hands on)"
            )
        wanted = VIA_MODELS[via]
        if data.get("model") != wanted:
            raise ScenarioError(
                f"{label}.model = {show_value(data.get('model'))}: via {via} invokes the function as "
                f'model = "{wanted}"'
            )
        if "load" in data or any(key.startswith("load.") for key in overrides):
            raise ScenarioError(
                f"{label}.load: a later stage's items are what the stage before hands on; "
                "only the first stage takes a [load]"
            )
        data["load"] = dict(_LATER_LOAD)
    written = dict(data)
    # Independent random streams per stage from the chain's one seed.
    data["seed"] = (shell.seed + index) % (int(PARAMS["seed"].max or 0) + 1)
    data["until_s"] = shell.until_s
    try:
        scenario = load_scenario(data, overrides=overrides)
    except ScenarioError as error:
        raise ScenarioError(f"{label}.{error}") from None
    return Stage(name, via, scenario, written)


# -- running ------------------------------------------------------------------------------------


class _StageReader:
    """What one stage hands on, told by the engine as each invocation ends (`on_processed`)."""

    def __init__(self, origins: array | None, first_done: array | None):
        # origins[n - 1]: the first-stage item (from 0) this stage's item n is a copy of; None for
        # the first stage, whose items are their own origins.
        self.origins = origins
        self.first_done = first_done  # last stage: per origin, the first success (math.inf if none)
        self.arrivals = array("d")  # first stage: when each item arrived, by origin
        self.handed_times = array("d")
        self.handed_origins = array("q")

    def processed(self, items: Sequence[Any], at: float) -> None:
        origins, first_done = self.origins, self.first_done
        for item in items:
            if origins is None:
                origin = item.n - 1
                arrivals = self.arrivals
                while len(arrivals) <= origin:  # items are numbered in arrival order
                    arrivals.append(math.nan)
                arrivals[origin] = item.t
            else:
                origin = origins[item.n - 1]
            self.handed_times.append(at)
            self.handed_origins.append(origin)
            if first_done is not None and at < first_done[origin]:
                first_done[origin] = at


def run_chain(
    chain: Chain, on_event: Callable[[str, dict], None] | None = None, *, plan: ChainPlan | None = None
) -> ChainResult:
    """Run every stage in turn; `on_event(stage_name, event)` sees each stage's trace as it streams
    (without it no trace is kept at all). A `plan` given is filled in for a live pane."""
    from tutor.sim.engine import Simulation, latency_summary

    result = ChainResult()
    origins: array | None = None
    handed_times: array | None = None
    arrivals = array("d")
    last = len(chain.stages) - 1
    first_done: array | None = None
    for index, stage in enumerate(chain.stages):
        scenario = stage.scenario
        if index:
            assert handed_times is not None
            load = LoadConfig.model_construct(
                count=len(handed_times), pattern="explicit", arrival_times_s=handed_times
            )
            scenario = scenario.model_copy(update={"load": load})
        if index == last:
            first_done = array("d", [math.inf]) * chain.stages[0].scenario.load.count
        reader = _StageReader(origins, first_done)
        simulation = Simulation(scenario, record_trace=on_event is not None, on_processed=reader.processed)
        for events in simulation.stream():
            if on_event is not None:
                for event in events:
                    on_event(stage.name, event)
        result.stages.append(
            StageResult(stage.name, stage.via, scenario.model, simulation.summary(), len(reader.handed_times))
        )
        if index == 0:
            arrivals = reader.arrivals
        handed_times, origins = reader.handed_times, reader.handed_origins
        if plan is not None:
            plan.scenarios.append(scenario)
            plan.handed_times.append(handed_times)
            plan.handed_origins.append(origins)
    assert first_done is not None
    latencies = array("d", (done - arrivals[n] for n, done in enumerate(first_done) if done != math.inf))
    if plan is not None:
        plan.arrivals, plan.first_done = arrivals, first_done
    items = result.stages[0].summary["items"]
    result.end_to_end = {
        "items": items,
        "delivered": len(latencies),
        "lost": items - len(latencies),
        "latency_s": latency_summary(latencies),
    }
    return result
