"""Every tunable scenario key, described once.

`tutor.sim.scenario` validates ranges from this table and the UI builds its parameter forms from
it, so a range lives here and nowhere else. Numbers come from the AWS facts sheet
(its source URLs are repeated in `source`); where AWS documents no limit, the entry says
`limit="simulator"` and every message about it says the bound is the simulator's, not AWS's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

ALL_MODELS = ("sync", "async", "sqs", "kinesis", "dynamodb")
STREAM_MODELS = ("kinesis", "dynamodb")

# The unreserved floor keeps reserved_concurrency's true maximum tied to account_concurrency;
# the static `max` below is what it is for the default account of 1,000.
UNRESERVED_FLOOR = 100


@dataclass(frozen=True)
class Param:
    key: str  # dotted scenario key, e.g. "sqs.batch_size"
    aws_name: str | None  # AWS's API name; None for keys that only shape the simulated load
    kind: str  # int | float | choice | bool
    default: object  # None: the setting is absent unless given
    help: str
    models: tuple[str, ...] = ALL_MODELS
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    special: tuple[int, ...] = ()  # values allowed outside min..max (e.g. -1 = unlimited)
    limit: str = "aws"  # "aws": the range is AWS's; "simulator": ours
    source: str = ""
    choice_notes: dict[str, str] = field(default_factory=dict)
    # The real maximum depends on another key; `max` is only its value under that key's default.
    max_from: str | None = None

    @property
    def optional(self) -> bool:
        return self.default is None

    def allowed(self) -> str:
        """What a valid value looks like, in words, for one-line messages."""
        if self.kind == "bool":
            text = "true or false"
        elif self.kind == "choice":
            text = "one of " + ", ".join(self.choices)
        else:
            text = f"{_number(self.min)}..{self.max_from or _number(self.max)}"
            if self.special:
                text = " or ".join([*(str(s) for s in self.special), text])
            if self.kind == "int":
                text = f"a whole number {text}"
        if self.optional:
            text += ", or leave it out (none) for no setting"
        if self.limit == "simulator":
            text += " (a simulator limit, not AWS's)"
        return text


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:g}"


_TIMEOUT = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html"
_LIMITS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
_RUNTIME_ENV = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html"
_CONCURRENCY = "https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html"
_EVENT_INVOKE = "https://docs.aws.amazon.com/lambda/latest/api/API_FunctionEventInvokeConfig.html"
_RETAIN = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"
_ESM_CONFIG = "https://docs.aws.amazon.com/lambda/latest/api/API_EventSourceMappingConfiguration.html"
_ESM = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html"
_SQS_PARAMS = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html"
_SQS_CONFIGURE = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html"
_SQS_SCALING = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html"
_SQS_ERRORS = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html"
# The queue's VisibilityTimeout is 0..43,200 s (12 hours), default 30 s; found with the docs search:
# https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sqs/aws.sdk.kotlin.services.sqs.model/-change-message-visibility-request/-builder/visibility-timeout.html
# https://docs.aws.amazon.com/cli/v1/reference/sqs/change-message-visibility.html
_SQS_VISIBILITY = "https://docs.aws.amazon.com/cli/v1/reference/sqs/change-message-visibility.html"
_KINESIS = "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html"
_KINESIS_FAILURE = "https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html"
_KINESIS_PARTIAL = "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html"
_APIGW = "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html"

# -- Downstream, billed units and environment lifetime -----------------------------------------
# Kept in their own block (see docs/simulation-model.md); the numbers and their pages:
_MEMORY = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html"
_DDB_PROVISIONED = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/provisioned-capacity-mode.html"
)
_DDB_BURST = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/burst-adaptive-capacity.html"
_DDB_ON_DEMAND = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html"
)
_SDK_RETRY = "https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html"

_DOWNSTREAM_AND_BILLING = [
    Param(
        "function.memory_mb",
        "MemorySize",
        "int",
        128,
        "memory of each execution environment; billed GB-seconds scale with it",
        min=128,
        max=10_240,
        unit="MB",
        source=_MEMORY,
    ),
    Param(
        "function.idle_reclaim_s",
        None,
        "float",
        None,
        "an environment idle this long is reclaimed (AWS documents no idle lifetime)",
        min=1,
        max=86_400,
        unit="s",
        limit="simulator",
    ),
    Param(
        "downstream.kind",
        None,
        "choice",
        "none",
        "what each item writes to: a DynamoDB table, a rate-limited or a connection-limited dependency",
        choices=("none", "dynamodb", "rate_limited", "connection_limited"),
    ),
    Param(
        "downstream.capacity_mode",
        "BillingMode",
        "choice",
        "provisioned",
        "dynamodb: provisioned write capacity, or on-demand",
        choices=("provisioned", "on_demand"),
        source=_DDB_ON_DEMAND,
    ),
    Param(
        "downstream.write_capacity_units",
        "WriteCapacityUnits",
        "int",
        5,
        "dynamodb provisioned: writes of up to 1 KB per second",
        min=1,
        max=40_000,
        limit="simulator",
        source=_DDB_PROVISIONED,
    ),
    Param(
        "downstream.burst_s",
        None,
        "int",
        300,
        "dynamodb provisioned: seconds of unused capacity kept as burst (AWS keeps up to 300, best effort)",
        min=0,
        max=300,
        unit="s",
        source=_DDB_BURST,
    ),
    Param(
        "downstream.previous_peak_units_per_s",
        None,
        "float",
        2000.0,
        "dynamodb on-demand: the table's previous peak; double it is accommodated at once",
        min=1,
        max=1_000_000,
        unit="/s",
        limit="simulator",
        source=_DDB_ON_DEMAND,
    ),
    Param(
        "downstream.item_size_kb",
        None,
        "float",
        1.0,
        "dynamodb: size of each item written; each started 1 KB takes one write unit",
        min=0.001,
        max=400,
        unit="KB",
        source=_DDB_PROVISIONED,
    ),
    Param(
        "downstream.max_requests_per_s",
        None,
        "float",
        10.0,
        "rate_limited: requests the dependency accepts per second",
        min=0.001,
        max=1_000_000,
        unit="/s",
        limit="simulator",
    ),
    Param(
        "downstream.max_connections",
        None,
        "int",
        10,
        "connection_limited: connections the dependency accepts at once",
        min=1,
        max=100_000,
        limit="simulator",
    ),
    Param(
        "downstream.write_ms",
        None,
        "float",
        20.0,
        "connection_limited: how long one write holds its connection",
        min=0,
        max=900_000,
        unit="ms",
        limit="simulator",
    ),
    Param(
        "downstream.sdk_max_attempts",
        "max_attempts",
        "int",
        3,
        "attempts per write, the first included (the SDKs' standard retry mode makes 3)",
        min=1,
        max=20,
        source=_SDK_RETRY,
    ),
    Param(
        "downstream.sdk_backoff_base_ms",
        None,
        "float",
        100.0,
        "the SDK's backoff: a random wait up to base x 2^(retry - 1), capped (SDK-specific)",
        min=0,
        max=20_000,
        unit="ms",
        limit="simulator",
        source=_SDK_RETRY,
    ),
    Param(
        "downstream.sdk_max_backoff_s",
        None,
        "float",
        20.0,
        "the longest single SDK backoff (SDK-specific; the simulator's choice)",
        min=0,
        max=300,
        unit="s",
        limit="simulator",
        source=_SDK_RETRY,
    ),
    Param(
        "prices.request",
        None,
        "float",
        None,
        "your price per Lambda request (no built-in price: set your Region's)",
        min=0,
        max=1_000_000,
        limit="simulator",
    ),
    Param(
        "prices.gb_second",
        None,
        "float",
        None,
        "your price per GB-second of Lambda duration",
        min=0,
        max=1_000_000,
        limit="simulator",
    ),
    Param(
        "prices.sqs_request",
        None,
        "float",
        None,
        "your price per SQS API request",
        min=0,
        max=1_000_000,
        limit="simulator",
    ),
    Param(
        "prices.write_unit",
        None,
        "float",
        None,
        "your price per DynamoDB write unit",
        min=0,
        max=1_000_000,
        limit="simulator",
    ),
]

_PARAM_LIST = [
    # Run
    Param(
        "seed",
        None,
        "int",
        1,
        "seed of the random streams (arrivals, durations, errors)",
        min=0,
        max=2**32 - 1,
        limit="simulator",
    ),
    Param(
        "until_s",
        None,
        "float",
        3600.0,
        "stop here even if work remains",
        min=1,
        max=604_800,
        unit="s",
        limit="simulator",
    ),
    # Function
    Param(
        "function.duration_ms",
        None,
        "float",
        200.0,
        "handler run time (per batch for poll-based models)",
        min=0,
        max=900_000,
        unit="ms",
        limit="simulator",
    ),
    Param(
        "function.duration_dist",
        None,
        "choice",
        "fixed",
        "how run times vary around duration_ms",
        choices=("fixed", "exponential", "lognormal"),
    ),
    Param(
        "function.timeout_s",
        "Timeout",
        "int",
        3,
        "the function's timeout",
        min=1,
        max=900,
        unit="s",
        source=_TIMEOUT,
    ),
    Param(
        "function.cold_start_ms",
        None,
        "float",
        300.0,
        "init time when a new execution environment starts (on-demand init is capped at 10 s)",
        min=0,
        max=10_000,
        unit="ms",
        source=_RUNTIME_ENV,
    ),
    Param(
        "function.reserved_concurrency",
        "ReservedConcurrentExecutions",
        "int",
        None,
        "reserved concurrency: a guarantee and a cap; 0 throttles everything",
        min=0,
        max=1000 - UNRESERVED_FLOOR,
        max_from=f"(function.account_concurrency - {UNRESERVED_FLOOR})",
        source=_CONCURRENCY,
    ),
    Param(
        "function.account_concurrency",
        None,
        "int",
        1000,
        "the account's concurrency limit in the Region (default 1,000, raisable)",
        min=1,
        max=100_000,
        limit="simulator",
        source=_LIMITS,
    ),
    Param(
        "function.error_rate",
        None,
        "float",
        0.0,
        "chance that an invocation raises (the whole batch fails)",
        min=0,
        max=1,
    ),
    Param(
        "function.item_error_rate",
        None,
        "float",
        0.0,
        "chance that one item fails on its own (reported per item where the model allows)",
        min=0,
        max=1,
    ),
    # Load
    Param("load.count", None, "int", 100, "how many items arrive", min=1, max=10_000_000, limit="simulator"),
    Param(
        "load.rate_per_s",
        None,
        "float",
        10.0,
        "arrival rate",
        min=0.001,
        max=100_000,
        unit="/s",
        limit="simulator",
    ),
    # A quiet start before the first arrival: in a lesson's pane, the first retry or throttle of a
    # preset whose load begins at once would come before anyone could see it coming.
    Param(
        "load.start_s",
        None,
        "float",
        0.0,
        "when the first item arrives (the load starts this late)",
        min=0,
        max=86_400,
        unit="s",
        limit="simulator",
    ),
    Param(
        "load.pattern",
        None,
        "choice",
        "uniform",
        "arrival pattern (burst: all at load.start_s; explicit: at load.arrival_times_s)",
        choices=("uniform", "poisson", "burst", "explicit"),
    ),
    Param(
        "load.partition_keys",
        None,
        "int",
        4,
        "streams: how many partition keys the records use",
        models=STREAM_MODELS,
        min=1,
        max=10_000,
        limit="simulator",
    ),
    # Sync
    Param(
        "sync.client_timeout_s",
        None,
        "float",
        29.0,
        "the caller gives up here (API Gateway REST's default integration timeout is 29 s)",
        models=("sync",),
        min=0.05,
        max=3600,
        unit="s",
        limit="simulator",
        source=_APIGW,
    ),
    Param(
        "sync.client_retries",
        None,
        "int",
        0,
        "how often the caller retries after a 429 or a timeout",
        models=("sync",),
        min=0,
        max=10,
        limit="simulator",
    ),
    Param(
        "sync.client_backoff_s",
        None,
        "float",
        1.0,
        "the caller's first backoff, doubling on each retry",
        models=("sync",),
        min=0,
        max=300,
        unit="s",
        limit="simulator",
    ),
    # Async
    Param(
        "async.maximum_retry_attempts",
        "MaximumRetryAttempts",
        "int",
        2,
        "retries after a function error (at +60 s, then +120 s)",
        models=("async",),
        min=0,
        max=2,
        source=_EVENT_INVOKE,
    ),
    Param(
        "async.maximum_event_age_s",
        "MaximumEventAgeInSeconds",
        "int",
        21_600,
        "give an event up once it is this old",
        models=("async",),
        min=60,
        max=21_600,
        unit="s",
        source=_EVENT_INVOKE,
    ),
    Param(
        "async.on_success",
        "DestinationConfig.OnSuccess",
        "choice",
        "none",
        "where successes are recorded",
        models=("async",),
        choices=("none", "sqs", "sns", "lambda", "eventbridge"),
        source=_RETAIN,
        choice_notes={"s3": "S3 is an on-failure destination only"},
    ),
    Param(
        "async.on_failure",
        "DestinationConfig.OnFailure",
        "choice",
        "none",
        "where given-up events go",
        models=("async",),
        choices=("none", "sqs", "sns", "lambda", "eventbridge", "s3"),
        source=_RETAIN,
    ),
    Param(
        "async.dead_letter_queue",
        "DeadLetterConfig.TargetArn",
        "choice",
        "none",
        "the function's dead-letter queue (a standard queue or topic)",
        models=("async",),
        choices=("none", "sqs", "sns"),
        source=_RETAIN,
        choice_notes={
            "lambda": "a DLQ is a standard SQS queue or SNS topic only",
            "eventbridge": "a DLQ is a standard SQS queue or SNS topic only",
            "s3": "a DLQ is a standard SQS queue or SNS topic only",
        },
    ),
    # SQS
    Param(
        "sqs.batch_size",
        "BatchSize",
        "int",
        10,
        "messages per batch (FIFO: at most 10)",
        models=("sqs",),
        min=1,
        max=10_000,
        source=_SQS_PARAMS,
    ),
    Param(
        "sqs.maximum_batching_window_s",
        "MaximumBatchingWindowInSeconds",
        "int",
        0,
        "how long a poller gathers a batch (not for FIFO)",
        models=("sqs",),
        min=0,
        max=300,
        unit="s",
        source=_ESM,
    ),
    Param(
        "sqs.visibility_timeout_s",
        "VisibilityTimeout",
        "int",
        30,
        "how long received messages stay invisible (at least the function timeout)",
        models=("sqs",),
        min=0,
        max=43_200,
        unit="s",
        source=_SQS_VISIBILITY,
    ),
    # AWS's own range for maxReceiveCount is not in the facts sheet and the docs search found it only
    # in a non-service page, so 1..1,000 is stated as the simulator's limit.
    Param(
        "sqs.max_receive_count",
        "RedrivePolicy.maxReceiveCount",
        "int",
        None,
        "redrive to the queue's DLQ after this many receives (AWS advises at least 5)",
        models=("sqs",),
        min=1,
        max=1000,
        limit="simulator",
        source=_SQS_CONFIGURE,
    ),
    Param(
        "sqs.report_batch_item_failures",
        "FunctionResponseTypes=ReportBatchItemFailures",
        "bool",
        False,
        "only the failed messages return to the queue",
        models=("sqs",),
        source=_SQS_ERRORS,
    ),
    Param(
        "sqs.maximum_concurrency",
        "ScalingConfig.MaximumConcurrency",
        "int",
        None,
        "cap on concurrent batches of this mapping",
        models=("sqs",),
        min=2,
        max=1000,
        source=_SQS_SCALING,
    ),
    Param(
        "sqs.fifo",
        None,
        "bool",
        False,
        "a FIFO queue: one batch in flight per message group",
        models=("sqs",),
        source=_SQS_PARAMS,
    ),
    Param(
        "sqs.message_groups",
        "MessageGroupId",
        "int",
        1,
        "FIFO: how many message groups the items use",
        models=("sqs",),
        min=1,
        max=10_000,
        limit="simulator",
    ),
    # Streams
    Param(
        "kinesis.shards",
        None,
        "int",
        1,
        "shards in the stream",
        models=STREAM_MODELS,
        min=1,
        max=1000,
        limit="simulator",
    ),
    Param(
        "kinesis.batch_size",
        "BatchSize",
        "int",
        100,
        "records per batch",
        models=STREAM_MODELS,
        min=1,
        max=10_000,
        source=_ESM_CONFIG,
    ),
    Param(
        "kinesis.maximum_batching_window_s",
        "MaximumBatchingWindowInSeconds",
        "int",
        0,
        "how long to gather a batch",
        models=STREAM_MODELS,
        min=0,
        max=300,
        unit="s",
        source=_ESM,
    ),
    Param(
        "kinesis.parallelization_factor",
        "ParallelizationFactor",
        "int",
        1,
        "concurrent batches per shard; order kept per partition key",
        models=STREAM_MODELS,
        min=1,
        max=10,
        source=_KINESIS,
    ),
    Param(
        "kinesis.bisect_batch_on_function_error",
        "BisectBatchOnFunctionError",
        "bool",
        False,
        "split a failed batch in two and retry the halves",
        models=STREAM_MODELS,
        source=_KINESIS_FAILURE,
    ),
    Param(
        "kinesis.report_batch_item_failures",
        "FunctionResponseTypes=ReportBatchItemFailures",
        "bool",
        False,
        "checkpoint before the first failed record",
        models=STREAM_MODELS,
        source=_KINESIS_PARTIAL,
    ),
    Param(
        "kinesis.maximum_retry_attempts",
        "MaximumRetryAttempts",
        "int",
        -1,
        "retries of a failed batch (-1: until the record expires)",
        models=STREAM_MODELS,
        min=0,
        max=10_000,
        special=(-1,),
        source=_KINESIS,
    ),
    Param(
        "kinesis.maximum_record_age_s",
        "MaximumRecordAgeInSeconds",
        "int",
        -1,
        "give records up once they are this old (-1: never)",
        models=STREAM_MODELS,
        min=60,
        max=604_800,
        special=(-1,),
        unit="s",
        source=_KINESIS,
    ),
    Param(
        "kinesis.on_failure",
        "DestinationConfig.OnFailure",
        "choice",
        "none",
        "where given-up records go",
        models=STREAM_MODELS,
        choices=("none", "sqs", "sns", "s3"),
        source=_KINESIS_FAILURE,
    ),
    *_DOWNSTREAM_AND_BILLING,
]

PARAMS: dict[str, Param] = {param.key: param for param in _PARAM_LIST}


def show_value(value: Any) -> str:
    """A value as the user would write it in TOML (strings quoted, booleans lower case)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, separators=(", ", " = ") if isinstance(value, dict) else (", ", ": "))


def param_refusal(param: Param, value: Any) -> str | None:
    """Why `value` is outside what `param` allows, in one line; None when it is allowed."""
    if value is None:
        return None
    shown = f"{param.key} = {show_value(value)}"
    if param.kind == "choice":
        if value not in param.choices:
            note = param.choice_notes.get(value)
            return f"{shown}: allowed {param.allowed()}" + (f" ({note})" if note else "")
        return None
    if param.kind == "bool" or value in param.special:
        return None
    # NaN compares false with every bound and infinity passes an open-ended range: neither is a
    # number a run can use.
    if isinstance(value, float) and not math.isfinite(value):
        return f"{shown}: not a finite number; allowed {param.allowed()}"
    too_high = param.max is not None and value > param.max and param.max_from is None
    if (param.min is not None and value < param.min) or too_high:
        return f"{shown}: allowed {param.allowed()}"
    return None


def params_for(model: str) -> list[Param]:
    """The parameters that matter for one model, in table order (for forms)."""
    return [param for param in _PARAM_LIST if model in param.models]
