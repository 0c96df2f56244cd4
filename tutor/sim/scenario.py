"""Scenario files: load, override, validate against AWS's ranges and refusals.

A scenario is the one input of the engine (see the simulation contract). Every refusal is a
`ScenarioError` of one line naming the key, the value and what is allowed; pydantic's own
multi-line text never reaches a user. Ranges and defaults come from `tutor.sim.params.PARAMS`.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from tutor.errors import UserError
from tutor.locations import builtin_content_dir
from tutor.sim.params import ALL_MODELS, PARAMS, UNRESERVED_FLOOR, Param, param_refusal, show_value

PRESET_DIR = builtin_content_dir() / "scenarios"
MODELS = ALL_MODELS
ITEM_PREFIX = {"sync": "req", "async": "evt", "sqs": "msg", "kinesis": "rec", "dynamodb": "rec"}
FAULT_KINDS = ("error", "raise", "timeout")
# A fault's `attempts` counts attempts of one item; a bound keeps typos like 1e9 out of the engine.
MAX_FAULT_ATTEMPTS = 10_000
# Keys that are not tunable parameters but may still be written in a file or given with --set.
_OTHER_KEYS = ("model", "title", "description", "function.faults", "load.arrival_times_s")
_REFUSAL = "scenario_refused"
# Simulator limits on what is read at all, so that a hostile file cannot exhaust the machine.
MAX_SCENARIO_BYTES = 1_000_000
MAX_TOML_NESTING = 10
MAX_KEY_LENGTH = 200


class ScenarioError(UserError):
    """A scenario that cannot run: one line naming the key, the value and what is allowed."""


def _refuse(message: str) -> PydanticCustomError:
    # Raised inside validators; `_one_line` passes the message through untouched.
    return PydanticCustomError(_REFUSAL, message)


def _field(key: str) -> Any:
    param = PARAMS[key]
    return Field(default=param.default, description=param.help)


def _check_param(param: Param, value: Any) -> None:
    """Raise a one-line refusal if `value` is outside what `param` allows."""
    refusal = param_refusal(param, value)
    if refusal is not None:
        raise _refuse(refusal)


class _Section(BaseModel):
    """A `[section]` of the file; ranges of its keys are checked from PARAMS."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True, populate_by_name=True)
    section: ClassVar[str] = ""

    @model_validator(mode="after")
    def _within_ranges(self) -> _Section:
        for name, info in type(self).model_fields.items():
            param = PARAMS.get(f"{self.section}.{info.alias or name}")
            if param is not None:
                _check_param(param, getattr(self, name))
        return self


class Fault(BaseModel):
    """A deterministic fault on one item, for teaching and for tests."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)
    item: str
    kind: str = "error"
    attempts: Any = "all"

    @model_validator(mode="after")
    def _valid(self) -> Fault:
        if self.kind not in FAULT_KINDS:
            raise _refuse(f"kind = {show_value(self.kind)}: allowed one of {', '.join(FAULT_KINDS)}")
        attempts = self.attempts
        if attempts != "all" and (
            isinstance(attempts, bool)
            or not isinstance(attempts, int)
            or not 1 <= attempts <= MAX_FAULT_ATTEMPTS
        ):
            raise _refuse(
                f'attempts = {show_value(attempts)}: allowed "all" or a whole number '
                f"1..{MAX_FAULT_ATTEMPTS:,} (a simulator limit)"
            )
        return self

    def fails_attempt(self, attempt: int) -> bool:
        """Whether the item's `attempt`-th try (1-based) is hit by this fault."""
        return self.attempts == "all" or attempt <= self.attempts


class FunctionConfig(_Section):
    section: ClassVar[str] = "function"
    duration_ms: float = _field("function.duration_ms")
    duration_dist: str = _field("function.duration_dist")
    timeout_s: int = _field("function.timeout_s")
    cold_start_ms: float = _field("function.cold_start_ms")
    reserved_concurrency: int | None = _field("function.reserved_concurrency")
    account_concurrency: int = _field("function.account_concurrency")
    error_rate: float = _field("function.error_rate")
    item_error_rate: float = _field("function.item_error_rate")
    faults: list[Fault] = Field(default_factory=list)
    # Billed units and environment lifetime (docs/simulation-model.md).
    memory_mb: int = _field("function.memory_mb")
    idle_reclaim_s: float | None = _field("function.idle_reclaim_s")


class LoadConfig(_Section):
    section: ClassVar[str] = "load"
    count: int = _field("load.count")
    rate_per_s: float = _field("load.rate_per_s")
    start_s: float = _field("load.start_s")
    pattern: str = _field("load.pattern")
    partition_keys: int = _field("load.partition_keys")
    # pattern = "explicit": when each item arrives (a chain hands its later stages such a load).
    arrival_times_s: list[float] | None = None

    @model_validator(mode="before")
    @classmethod
    def _count_explicit_arrivals(cls, data: Any) -> Any:
        # Writing the times is enough: the count of an explicit load is how many there are.
        if isinstance(data, dict) and isinstance(data.get("arrival_times_s"), list) and "count" not in data:
            return {**data, "count": len(data["arrival_times_s"])}
        return data

    @model_validator(mode="after")
    def _explicit_arrivals(self) -> LoadConfig:
        times = self.arrival_times_s
        if self.pattern != "explicit":
            if times is not None:
                raise _refuse(
                    f'load.arrival_times_s: only with load.pattern = "explicit" (load.pattern is '
                    f"{show_value(self.pattern)})"
                )
            return self
        if times is None:
            raise _refuse(
                'load.pattern = "explicit": needs load.arrival_times_s, a list of arrival times in '
                "seconds such as [0, 0.5, 2]"
            )
        if len(times) != self.count:
            raise _refuse(
                f"load.count = {self.count}: must equal the {len(times)} times of load.arrival_times_s "
                "(leave load.count out to take their number)"
            )
        previous = 0.0
        for index, at in enumerate(times):
            if not math.isfinite(at) or at < previous:
                raise _refuse(
                    f"load.arrival_times_s[{index}] = {show_value(at)}: allowed finite seconds >= 0, "
                    "each at or after the one before"
                )
            previous = at
        return self


class SyncConfig(_Section):
    section: ClassVar[str] = "sync"
    client_timeout_s: float = _field("sync.client_timeout_s")
    client_retries: int = _field("sync.client_retries")
    client_backoff_s: float = _field("sync.client_backoff_s")


class AsyncConfig(_Section):
    section: ClassVar[str] = "async"
    maximum_retry_attempts: int = _field("async.maximum_retry_attempts")
    maximum_event_age_s: int = _field("async.maximum_event_age_s")
    on_success: str = _field("async.on_success")
    on_failure: str = _field("async.on_failure")
    dead_letter_queue: str = _field("async.dead_letter_queue")


class SqsConfig(_Section):
    section: ClassVar[str] = "sqs"
    batch_size: int = _field("sqs.batch_size")
    maximum_batching_window_s: int = _field("sqs.maximum_batching_window_s")
    visibility_timeout_s: int = _field("sqs.visibility_timeout_s")
    max_receive_count: int | None = _field("sqs.max_receive_count")
    report_batch_item_failures: bool = _field("sqs.report_batch_item_failures")
    maximum_concurrency: int | None = _field("sqs.maximum_concurrency")
    fifo: bool = _field("sqs.fifo")
    message_groups: int = _field("sqs.message_groups")


class KinesisConfig(_Section):
    """Stream settings, used by model = "kinesis" and model = "dynamodb"."""

    section: ClassVar[str] = "kinesis"
    shards: int = _field("kinesis.shards")
    batch_size: int = _field("kinesis.batch_size")
    maximum_batching_window_s: int = _field("kinesis.maximum_batching_window_s")
    parallelization_factor: int = _field("kinesis.parallelization_factor")
    bisect_batch_on_function_error: bool = _field("kinesis.bisect_batch_on_function_error")
    report_batch_item_failures: bool = _field("kinesis.report_batch_item_failures")
    maximum_retry_attempts: int = _field("kinesis.maximum_retry_attempts")
    maximum_record_age_s: int = _field("kinesis.maximum_record_age_s")
    on_failure: str = _field("kinesis.on_failure")


# -- Downstream and prices (docs/simulation-model.md) -------------------------------------------


class DownstreamConfig(_Section):
    """What each item writes to, and how the handler's SDK retries a throttled write."""

    section: ClassVar[str] = "downstream"
    kind: str = _field("downstream.kind")
    capacity_mode: str = _field("downstream.capacity_mode")
    write_capacity_units: int = _field("downstream.write_capacity_units")
    burst_s: int = _field("downstream.burst_s")
    previous_peak_units_per_s: float = _field("downstream.previous_peak_units_per_s")
    item_size_kb: float = _field("downstream.item_size_kb")
    max_requests_per_s: float = _field("downstream.max_requests_per_s")
    max_connections: int = _field("downstream.max_connections")
    write_ms: float = _field("downstream.write_ms")
    sdk_max_attempts: int = _field("downstream.sdk_max_attempts")
    sdk_backoff_base_ms: float = _field("downstream.sdk_backoff_base_ms")
    sdk_max_backoff_s: float = _field("downstream.sdk_max_backoff_s")


class PricesConfig(_Section):
    """Prices per billed unit the learner sets; none is built in."""

    section: ClassVar[str] = "prices"
    request: float | None = _field("prices.request")
    gb_second: float | None = _field("prices.gb_second")
    sqs_request: float | None = _field("prices.sqs_request")
    write_unit: float | None = _field("prices.write_unit")


class Scenario(BaseModel):
    """One validated scenario; attribute names are the contract's keys (`async_` for `[async]`)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)
    model: str
    seed: int = _field("seed")
    until_s: float = _field("until_s")
    title: str | None = None
    description: str | None = None
    function: FunctionConfig = Field(default_factory=FunctionConfig)
    load: LoadConfig = Field(default_factory=LoadConfig)
    sync: SyncConfig = Field(default_factory=SyncConfig)
    async_: AsyncConfig = Field(default_factory=AsyncConfig, alias="async")
    sqs: SqsConfig = Field(default_factory=SqsConfig)
    kinesis: KinesisConfig = Field(default_factory=KinesisConfig)
    downstream: DownstreamConfig = Field(default_factory=DownstreamConfig)
    prices: PricesConfig = Field(default_factory=PricesConfig)

    # A key these rules read must not be in `tutor.sim.plain.RANGE_ONLY_KEYS` (changed there
    # with its range check alone).
    @model_validator(mode="after")
    def _aws_refusals(self, info: ValidationInfo) -> Scenario:
        changed: set[str] = set((info.context or {}).get("changed", ()))
        if self.model not in MODELS:
            raise _refuse(f"model = {show_value(self.model)}: allowed one of {', '.join(MODELS)}")
        for key in ("seed", "until_s"):
            _check_param(PARAMS[key], getattr(self, key))
        self._check_reserved_concurrency()
        if self.model == "sqs":
            self._check_sqs_mapping(changed)
        self._check_faults()
        return self

    def _check_reserved_concurrency(self) -> None:
        reserved = self.function.reserved_concurrency
        account = self.function.account_concurrency
        if reserved is not None and reserved > account - UNRESERVED_FLOOR:
            highest = account - UNRESERVED_FLOOR
            allowed = f"0..{highest:,}" if highest >= 0 else "no value at all"
            raise _refuse(
                f"function.reserved_concurrency = {reserved}: allowed {allowed} with "
                f"function.account_concurrency = {account} (AWS keeps {UNRESERVED_FLOOR} units unreserved)"
            )

    def _check_sqs_mapping(self, changed: set[str]) -> None:
        sqs = self.sqs
        window_key, batch_key = "sqs.maximum_batching_window_s", "sqs.batch_size"
        if sqs.fifo:
            if sqs.batch_size > 10:
                raise _refuse(f"{batch_key} = {sqs.batch_size}: a FIFO queue takes 1..10")
            if sqs.maximum_batching_window_s > 0:
                raise _refuse(
                    f"{window_key} = {sqs.maximum_batching_window_s}: a FIFO queue takes no batching "
                    "window (allowed 0)"
                )
        elif sqs.batch_size > 10 and sqs.maximum_batching_window_s < 1:
            if window_key in changed and batch_key not in changed:
                raise _refuse(
                    f"{window_key} = {sqs.maximum_batching_window_s}: must be at least 1 while "
                    f"{batch_key} = {sqs.batch_size} on a standard queue (AWS refuses the mapping otherwise)"
                )
            raise _refuse(
                f"{batch_key} = {sqs.batch_size}: a standard queue takes more than 10 only with "
                f"{window_key} >= 1 (AWS refuses the mapping otherwise)"
            )
        if sqs.visibility_timeout_s < self.function.timeout_s:
            if "function.timeout_s" in changed and "sqs.visibility_timeout_s" not in changed:
                raise _refuse(
                    f"function.timeout_s = {self.function.timeout_s}: must be at most "
                    f"sqs.visibility_timeout_s = {sqs.visibility_timeout_s} "
                    "(AWS refuses the mapping otherwise)"
                )
            raise _refuse(
                f"sqs.visibility_timeout_s = {sqs.visibility_timeout_s}: must be at least "
                f"function.timeout_s = {self.function.timeout_s} (AWS refuses the mapping otherwise; "
                "it advises 6 times the timeout)"
            )

    def _check_faults(self) -> None:
        prefix = ITEM_PREFIX[self.model]
        count = self.load.count
        for index, fault in enumerate(self.function.faults):
            match = re.fullmatch(rf"{prefix}-([1-9][0-9]*)", fault.item)
            if match is None or int(match.group(1)) > count:
                raise _refuse(
                    f"function.faults[{index}].item = {show_value(fault.item)}: model {self.model} with "
                    f"load.count = {count} names its items {prefix}-1..{prefix}-{count}"
                )

    # -- reading -------------------------------------------------------------------------------

    def resolved(self) -> dict[str, Any]:
        """Every key with its value, defaults filled in, keyed as in the TOML file; absent keys left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def value(self, key: str) -> Any:
        """The value of one dotted key, e.g. `scenario.value("sqs.batch_size")`."""
        node: Any = self
        for part in key.split("."):
            node = getattr(node, "async_" if part == "async" else part)
        return node

    def with_overrides(self, overrides: Iterable[str] | Mapping[str, Any]) -> Scenario:
        """A new scenario with some keys changed, validated like `load_scenario`."""
        return load_scenario(self.resolved(), overrides=overrides)


# -- errors ------------------------------------------------------------------------------------


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _section_model(key: str) -> type[BaseModel] | None:
    parts = [part for part in re.split(r"\.|\[\d+\]", key) if part]
    model: type[BaseModel] = Scenario
    for part in parts:
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        annotation = field.annotation
        inner = get_args(annotation)[0] if part == "faults" else annotation  # list[Fault] -> Fault
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            model = inner
        else:
            return None
    return model


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _allowed_for(key: str) -> str:
    param = PARAMS.get(key)
    if param is not None:
        return param.allowed()
    last = key.rsplit(".", 1)[-1]
    if key == "model":
        return "one of " + ", ".join(MODELS)
    if last in ("title", "description"):
        return "a string"
    if last == "item":
        return "an item id such as msg-3"
    if last == "kind":
        return "one of " + ", ".join(FAULT_KINDS)
    if last == "faults":
        return 'a list of tables such as [{item = "msg-3", kind = "raise"}]'
    section = _section_model(key)
    if section is not None:
        return f"a table of settings ([{key}])"
    return "a valid value"


def _one_line(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    kind, loc, value = first["type"], tuple(first["loc"]), first.get("input")
    if kind == _REFUSAL:
        # A fault's refusal names its key relative to the fault; prefix where that fault sits.
        return f"{_location(loc)}.{first['msg']}" if "faults" in loc else first["msg"]
    key = _location(loc)
    if kind == "extra_forbidden":
        parent_key, _, name = key.rpartition(".")
        section = _section_model(parent_key) if parent_key else Scenario
        choices = _keys_of(section) if section is not None else []
        close = difflib.get_close_matches(name, choices, n=1)
        hint = f"did you mean {(parent_key + '.' if parent_key else '') + close[0]}? " if close else ""
        where = "a fault" if "faults" in parent_key else f"[{parent_key}]" if parent_key else "the top level"
        return (
            f"{key} = {show_value(value)}: unknown key; {hint}keys allowed in {where}: {', '.join(choices)}"
        )
    if kind == "missing":
        return f"{key}: missing; allowed {_allowed_for(key)}"
    return f"{key} = {show_value(value)}: wrong type; allowed {_allowed_for(key)}"


# -- loading -----------------------------------------------------------------------------------


def _known_keys() -> list[str]:
    return sorted([*PARAMS, *_OTHER_KEYS])


def _parse_override(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise ScenarioError(f"--set {text!r}: expected KEY=VALUE, e.g. sqs.batch_size=25")
    if len(key) > MAX_KEY_LENGTH:
        raise ScenarioError(f"--set {key[:40]}...: unknown key; keys are dotted paths such as sqs.batch_size")
    _check_shape(raw, f"--set {key}")
    try:
        value = tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word such as `sqs` reads as the string "sqs"
    param = PARAMS.get(key)
    if param is not None and param.optional and isinstance(value, str) and value.lower() == "none":
        value = None
    return key, value


def _apply_overrides(data: dict[str, Any], overrides: Iterable[str] | Mapping[str, Any]) -> set[str]:
    pairs = overrides.items() if isinstance(overrides, Mapping) else map(_parse_override, overrides)
    known = _known_keys()
    changed: set[str] = set()
    for key, value in pairs:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ScenarioError(
                f"{key} = {show_value(value)}: unknown key; {hint}"
                "keys are dotted paths such as sqs.batch_size (see the scenario format)"
            )
        *sections, name = key.split(".")
        node = data
        for section in sections:
            child = node.get(section)
            if not isinstance(child, dict):
                child = node[section] = {}
            node = child
        if value is None:
            node.pop(name, None)
        else:
            node[name] = value
        changed.add(key)
    return changed


def _preset_dirs(search_dirs: Iterable[Path | str]) -> list[Path]:
    return [PRESET_DIR, *(Path(directory) for directory in search_dirs)]


def _preset_files(search_dirs: Iterable[Path | str] = ()) -> dict[str, Path]:
    """Preset name -> file; a built-in name is never shadowed by a pack."""
    found: dict[str, Path] = {}
    for directory in _preset_dirs(search_dirs):
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                found.setdefault(path.stem, path)
    return found


def _nesting(text: str) -> int:
    """How deep the TOML text nests: the most brackets open at once plus the most dots in one
    line, counted outside strings and comments. A cheap bound checked before parsing, because
    the parser takes memory and time out of all proportion on a long dotted key or deep nesting."""
    deepest = depth = dots = 0
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if char in "\"'":
            quote = text[index : index + 3] if text[index : index + 3] in ('"""', "'''") else char
            index += len(quote)
            while index < size and not text.startswith(quote, index):
                index += 2 if char == '"' and text[index] == "\\" else 1
            index += len(quote)
            continue
        if char == "#":
            index = text.find("\n", index)
            if index < 0:
                break
            continue
        if char == "\n":
            dots = 0
        elif char == ".":
            dots += 1
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        deepest = max(deepest, depth + dots)
        index += 1
    return deepest


def _check_shape(text: str, what: str) -> None:
    if _nesting(text) > MAX_TOML_NESTING:
        raise ScenarioError(
            f"{what}: nested too deeply; allowed at most {MAX_TOML_NESTING} levels of brackets "
            "and dotted keys (a scenario needs 3)"
        )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_SCENARIO_BYTES:
            raise ScenarioError(
                f"scenario file {str(path)!r}: larger than {MAX_SCENARIO_BYTES // 1_000_000} MB, "
                "the most a scenario file may be"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"scenario file {str(path)!r}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ScenarioError(f"scenario file {str(path)!r}: cannot read it ({reason})") from None
    _check_shape(text, f"scenario file {str(path)!r}")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"scenario file {str(path)!r}: not valid TOML: {error}") from None


def _looks_like_path(source: str) -> bool:
    return source.endswith(".toml") or "/" in source or "\\" in source


def _resolve_source(source: str | Path, search_dirs: Iterable[Path | str]) -> dict[str, Any]:
    if isinstance(source, Path) or _looks_like_path(source):
        return _read_toml(Path(source))
    presets = _preset_files(search_dirs)
    if source in presets:
        return _read_toml(presets[source])
    if Path(source).is_file():
        return _read_toml(Path(source))
    close = difflib.get_close_matches(source, list(presets), n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise ScenarioError(
        f"scenario {source!r}: no such preset or file; {hint}`lambda-tutor simulate --list` shows the presets"
    )


def load_scenario(
    source: str | Path | Mapping[str, Any],
    overrides: Iterable[str] | Mapping[str, Any] = (),
    seed: int | None = None,
    search_dirs: Iterable[Path | str] = (),
) -> Scenario:
    """A validated scenario from a preset name, a TOML file or a dict, with overrides applied.

    Raises `ScenarioError` (a `UserError`) with one line for anything that would not run.
    """
    if isinstance(source, Mapping):
        data = copy.deepcopy(dict(source))
    else:
        data = _resolve_source(source, search_dirs)
    changed = _apply_overrides(data, overrides)
    if seed is not None:
        data["seed"] = seed
        changed.add("seed")
    try:
        return Scenario.model_validate(data, context={"changed": changed})
    except ValidationError as error:
        raise ScenarioError(_one_line(error)) from None


def list_presets(search_dirs: Iterable[Path | str] = ()) -> list[tuple[str, str, str, str]]:
    """(name, title, description, model) of every preset, sorted by name; never raises on a bad file."""
    rows = []
    for name, path in sorted(_preset_files(search_dirs).items()):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            rows.append((name, f"(unreadable: {error})", "", "?"))
            continue
        rows.append(
            (
                name,
                str(data.get("title", name)),
                str(data.get("description", "")),
                str(data.get("model", "?")),
            )
        )
    return rows
