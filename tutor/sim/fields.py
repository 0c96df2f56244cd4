"""The summary's numeric fields, by dotted path, and the models that report each one.

Quiz `measure`s and exercise `goals` name these paths; content validation checks them here, so a
question or goal can never point at a number the simulator does not produce. Kept free of
pydantic and SimPy so the content layer can import it cheaply.
"""

from __future__ import annotations

from typing import Any

ALL = ("sync", "async", "sqs", "kinesis", "dynamodb")
STREAMS = ("kinesis", "dynamodb")

# path -> (models that report it, what it means in a learner's words)
SUMMARY_FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "sim_time_s": (ALL, "simulated seconds until the run ended"),
    "items": (ALL, "items that arrived"),
    "succeeded": (ALL, "items processed successfully"),
    "failed": (ALL, "items that ended in failure (destination, DLQ, drop or error answer)"),
    "unfinished": (ALL, "items still in progress when the run stopped"),
    "invocations": (ALL, "times the handler ran"),
    "cold_starts": (ALL, "invocations that started a new execution environment"),
    "throttles": (ALL, "invocations refused for lack of concurrency"),
    "max_concurrency": (ALL, "most executions running at once"),
    "duplicates": (ALL, "successful processings of an item beyond its first"),
    "destinations.on_success": (ALL, "items sent to the on-success destination"),
    "destinations.on_failure": (ALL, "items sent to the on-failure destination"),
    "destinations.dlq": (ALL, "items sent to a dead-letter queue"),
    "dropped": (ALL, "items discarded with nowhere to go"),
    "latency_s.p50": (ALL, "median seconds from arrival to final outcome"),
    "latency_s.p95": (ALL, "95th percentile seconds from arrival to final outcome"),
    "latency_s.p99": (ALL, "99th percentile seconds from arrival to final outcome"),
    "latency_s.max": (ALL, "longest seconds from arrival to final outcome"),
    "responses.200": (("sync",), "answers with status 200 (function errors included)"),
    "responses.429": (("sync",), "answers with status 429 (throttled)"),
    "responses.504": (("sync",), "answers with status 504 (the caller gave up)"),
    "max_event_age_s": (("async",), "oldest event age seen, in seconds"),
    "max_queue_depth": (("sqs",), "most messages visible in the queue at once"),
    "max_iterator_age_s": (STREAMS, "largest iterator age seen, in seconds"),
    # A scenario with a [downstream]: 0 without one.
    "downstream.writes": (ALL, "writes the downstream accepted"),
    "downstream.throttled_writes": (ALL, "write attempts the downstream refused (throttled)"),
    "downstream.sdk_retries": (ALL, "writes the handler's SDK tried again after a throttle"),
    "downstream.failed_invocations": (ALL, "invocations that failed because the SDK ran out of attempts"),
    "reclaimed_environments": (ALL, "idle execution environments reclaimed (function.idle_reclaim_s)"),
    "billed.requests": (ALL, "Lambda requests billed"),
    "billed.gb_seconds": (ALL, "GB-seconds billed (Init included, rounded up to the millisecond)"),
    "billed.sqs_requests": (ALL, "SQS API requests billed, empty receives included"),
    "billed.write_units": (ALL, "DynamoDB write units consumed"),
}


def field_problem(path: str, model: str | None = None) -> str | None:
    """Why `path` cannot be measured (for `model`, if given), or None when it can."""
    if path not in SUMMARY_FIELDS:
        return f"unknown summary field {path!r}; known: {', '.join(SUMMARY_FIELDS)}"
    models, _ = SUMMARY_FIELDS[path]
    if model is not None and model not in models:
        return f"summary field {path!r} is not reported by the {model} model (only {', '.join(models)})"
    return None


def read_field(summary: dict[str, Any], path: str) -> float:
    """The number at a dotted path of a summary; a missing count (e.g. no 429 responses) reads as 0."""
    value: Any = summary
    for part in path.split("."):
        if not isinstance(value, dict):
            raise KeyError(path)
        if part not in value:
            return 0.0
        value = value[part]
    return 0.0 if value is None else float(value)
