"""The course's facts after the December 2026 audit: each test pins one correction, read through the
course loader the way the app shows it, so an old sentence that comes back is caught."""

import re

import pytest

from tutor.content.loader import load_course
from tutor.sim.scenario import list_presets

FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)


@pytest.fixture(scope="module")
def course():
    loaded, problems = load_course()
    assert problems == []
    return loaded


def _paragraphs(text):
    """Blocks between blank lines outside fenced code, each list item on its own; a table stays whole."""
    blocks = re.split(r"\n\s*\n", FENCE.sub("", text))
    items = [item for block in blocks for item in re.split(r"\n(?=(?:[-*]|\d+\.) )", block)]
    return [item for item in items if item.strip() and not item.startswith("#")]


def _sentences(text):
    return [s for block in _paragraphs(text) for s in re.split(r"(?<=[.!?])\s+", " ".join(block.split()))]


def _answers(question):
    answer = question.answer
    if isinstance(answer, dict):
        return [f"{key} = {value}" for key, value in answer.items()]
    return [str(item) for item in answer] if isinstance(answer, (list, tuple)) else [str(answer)]


def _question_text(question):
    return "\n".join(
        [question.prompt, *map(str, question.choices), *_answers(question), question.explanation]
    )


def _units(course):
    """Every piece of text a learner reads, as (where, text): one lesson paragraph, objective or try
    step; one whole question; one service row; one exercise field; one preset's title and description."""
    for lesson in course.lessons.values():
        for n, block in enumerate(_paragraphs(lesson.body)):
            yield f"{lesson.id} paragraph {n}", block
        for objective in lesson.objectives:
            yield f"{lesson.id} objective", objective
        for step in lesson.try_steps:
            yield f"{lesson.id} try step", step.text
    for question in course.questions:
        yield f"question {question.id}", _question_text(question)
    for service in course.services:
        yield f"service {service.name}", f"{service.name}\n{service.trigger}\n{service.note}"
    for exercise in course.exercises:
        yield f"exercise {exercise.id} brief", exercise.brief
        for level, hint in enumerate(exercise.hints, start=1):
            yield f"exercise {exercise.id} hint {level}", hint
    for name, title, description, _model in list_presets():
        yield f"preset {name}", f"{title}\n{description}"


def _question(course, question_id):
    found = [q for q in course.questions if q.id == question_id]
    assert found, f"no question {question_id}"
    return found[0]


# 1. An SNS message is 256 KB only by default.
def test_no_answer_key_says_an_sns_message_is_256_kb(course):
    wrong = []
    for question in course.questions:
        about_256 = "256 KB" in question.prompt or "256 KB" in " ".join(map(str, question.choices))
        for answer in _answers(question):
            # Only a topic's default, or Lambda's cut-off for a record's payload, is a true 256 KB.
            qualified = "default" in answer or "payload" in answer
            if "SNS" in answer and (about_256 or "256 KB" in answer) and not qualified:
                wrong.append((question.id, answer))
    assert wrong == []
    limited = re.compile(
        r"SNS messages? (are|is) (still )?(limited|capped) (to|at) 256 KB"
        r"|whose messages are limited to 256 KB|SNS keep 256 KB|SNS messages, still 256 KB"
        r"|and (to|in) SNS messages"
    )
    assert [where for where, text in _units(course) if limited.search(" ".join(text.split()))] == []


# 2. A record too large for SNS loses its payload, not itself.
def test_an_oversized_sns_record_is_not_taught_as_lost(course):
    lost = re.compile(r"lose records|fail(s)? to reach (an )?SNS", re.IGNORECASE)
    assert [where for where, text in _units(course) if lost.search(" ".join(text.split()))] == []
    question = _question(course, "async-large-record-sns")
    assert "drops the payload and still sends the record" in question.answer


# 3. Stream (and Kafka) on-failure destinations can be a Kafka topic.
def test_stream_on_failure_destinations_include_a_kafka_topic(course):
    assert "A Kafka topic" in _question(course, "esm-stream-destinations").answer
    lesson = course.lessons["esm-stream-errors"]
    where = [p for p in _paragraphs(lesson.body) if "**on-failure destination**" in p]
    assert where and all("Kafka topic" in p for p in where)


# 4. AWS documents no batching-window rule for Kafka.
def test_no_kafka_batching_window_rule_is_taught(course):
    rule = re.compile(r"previous invocation (ends|completes|finishes)")
    taught = [
        (where, sentence)
        for where, text in _units(course)
        for sentence in _sentences(text)
        if rule.search(sentence) and ("Kafka" in sentence or "without provisioned mode" in sentence)
    ]
    assert taught == []
    window = _question(course, "esm-window-start")
    assert not any("Kafka" in key or "MSK" in key for key in window.answer)


# 5. SQS provisioned mode: AWS pages give 2,000 and 10,000 as the MaximumPollers ceiling.
def test_sqs_maximum_pollers_is_not_taught_as_2000(course):
    assert [where for where, text in _units(course) if "2-2,000" in text] == []
    scaling = course.lessons["esm-sqs-scaling"].body
    assert "10,000" in scaling and "2,000" in scaling


# 6. The DLQ is frozen per published version.
def test_no_sentence_says_all_versions_share_the_dlq(course):
    shared = re.compile(r"versions\s+share", re.IGNORECASE)
    assert [where for where, text in _units(course) if shared.search(text)] == []
    assert "each published version keeps the DLQ" in course.lessons["async-destinations"].body
    assert _question(course, "async-dlq-frozen-per-version").answer is True


# 7. A REST proxy integration in STREAM mode may stream for up to 15 minutes.
@pytest.mark.parametrize("lesson_id", ["sync-timeouts", "choosing-traps", "sync-payloads-streaming"])
def test_api_gateway_streaming_exception_is_taught(course, lesson_id):
    body = " ".join(course.lessons[lesson_id].body.split())
    assert "`STREAM`" in body and "15 minutes" in body


def test_no_explanation_says_api_gateway_never_waits_15_minutes(course):
    never = re.compile(r"neither waits for Lambda's full 15 minutes|never waits 15")
    assert [q.id for q in course.questions if never.search(q.explanation)] == []
    assert "buffered" in _question(course, "sync-apigw-rest-timeout").prompt


# 8. When an old async event is given up is the simulator's rule.
def test_the_age_give_up_moment_is_said_to_be_the_simulators(course):
    retries = [p for p in _paragraphs(course.lessons["async-retries"].body) if "given up" in p]
    assert retries and all("simulator" in p for p in retries)
    exercise = next(e for e in course.exercises if e.id == "async-event-age")
    assert "In this simulator" in exercise.brief
    description = next(d for name, _t, d, _m in list_presets() if name == "async-event-age-expiry")
    assert "in this simulator" in " ".join(description.split())


# 9. EventAgeExceeded and ZeroReservedConcurrency are the simulator's names.
def test_simulator_condition_names_are_labelled_as_the_simulators(course):
    names = re.compile(r"EventAgeExceeded|ZeroReservedConcurrency")
    unlabelled = [where for where, text in _units(course) if names.search(text) and "simulator" not in text]
    assert unlabelled == []


# 10. Full SQS batches are the simulator's idealisation.
def test_idealised_sqs_batches_are_said_to_be_the_simulators(course):
    tidy = re.compile(r"ten each|10 batches of 10|full batch of 10")
    unlabelled = [where for where, text in _units(course) if tidy.search(text) and "simulator" not in text]
    assert unlabelled == []


# 11. Lambda sends no 504 to a caller that gives up.
def test_the_504_of_a_caller_that_gives_up_is_the_simulators(course):
    walkthrough = [
        p for p in _paragraphs(course.lessons["overview-walkthrough-api-gateway"].body) if "504)" in p
    ]
    assert walkthrough and all("simulator's status" in p for p in walkthrough)
    description = next(d for name, _t, d, _m in list_presets() if name == "sync-caller-gives-up")
    assert "simulator records 504" in " ".join(description.split())


# 12. Throttle Reason meanings are readings of names, never graded.
def test_throttle_reason_meanings_are_not_graded(course):
    graded = [
        q.id
        for q in course.questions
        if isinstance(q.answer, dict) and any(str(key).endswith("LimitExceeded") for key in q.answer)
    ]
    assert graded == []
    assert "does not define them" in " ".join(course.lessons["sync-throttling"].body.split())


# 13. One environment per request holds for on-demand functions only.
def test_one_environment_per_request_is_said_for_on_demand_functions(course):
    own = re.compile(r"needs its own (execution )?environment")
    unqualified = [
        where
        for where, text in _units(course)
        if own.search(" ".join(text.split())) and "on-demand" not in text
    ]
    assert unqualified == []


# 14. DynamoDB Streams keep order per item, not per partition key.
def test_dynamodb_streams_order_is_per_item(course):
    streams = " ".join(course.lessons["esm-streams"].body.split())
    assert "per **item**" in streams and "sort key" in streams
    trap = [p for p in _paragraphs(course.lessons["choosing-traps"].body) if "Trap 18" in p]
    assert trap and "sort key" in " ".join(trap[0].split())
    assert _question(course, "esm-ddb-order-per-item").answer is True


# 15. AWS IoT Events reached end of support on 20 May 2026.
def test_iot_events_is_not_a_current_caller(course):
    assert [s.name for s in course.services if "IoT Events" in s.name] == []
    assert all("end of support" in s.note for s in course.services if "IoT Events" in s.note)


# 16. EventBridge Scheduler (like Pipes) invokes either way.
def test_eventbridge_scheduler_is_sync_or_async(course):
    models = {s.name: s.model for s in course.services}
    assert models["Amazon EventBridge Scheduler"] == "sync-or-async"
    assert models["Amazon EventBridge Pipes"] == "sync-or-async"
    async_only = [
        p for p in _paragraphs(course.lessons["async-services"].body) if "invoke asynchronously" in p
    ]
    assert async_only and not any("Scheduler" in p for p in async_only)


# 17. The Kafka, MQ and DocumentDB lesson teaches what limits their concurrency.
def test_kafka_mq_docdb_lesson_teaches_their_concurrency_limits(course):
    body = " ".join(course.lessons["esm-kafka-mq-docdb"].body.split())
    for fact in ("**partitions**", "offset lag once a minute", "AWS Support", "**one invocation at a time**"):
        assert fact in body


# 18. Firehose buffering defaults differ for Splunk and Snowflake.
def test_firehose_buffer_defaults_name_splunk_and_snowflake(course):
    firehose = next(s for s in course.services if "Firehose" in s.name)
    services_lesson = " ".join(course.lessons["sync-services"].body.split())
    for text in (firehose.note, services_lesson):
        assert "Splunk" in text and "Snowflake" in text


# 19. The function-error header is still set; only Handled is historical.
def test_unhandled_is_not_taught_as_historical(course):
    sentences = [s for s in _sentences(course.lessons["sync-invoke-api"].body) if "`Unhandled`" in s]
    assert sentences and all("older" not in s and "still" in s for s in sentences)


# 20. Destinations are not only queues and topics.
def test_the_destination_trap_names_every_kind_of_target(course):
    trap = [p for p in _paragraphs(course.lessons["choosing-traps"].body) if "Trap 12" in p]
    assert trap and "every destination and DLQ must be" not in " ".join(trap[0].split())
    assert all(word in trap[0] for word in ("function", "event bus", "bucket"))


# Facts the course lacked: each is taught in its lesson, which cites the page its question cites.
@pytest.mark.parametrize(
    ("lesson_id", "fact", "question_id"),
    [
        ("esm-kafka-mq-docdb", "`MaximumRecordAgeInSeconds`", "esm-kafka-retry-cap"),
        ("esm-kafka-mq-docdb", "`ReportBatchItemFailures`", "esm-kafka-error-settings"),
        ("esm-kafka-mq-docdb", "**one invocation at a time**", "esm-docdb-one-at-a-time"),
        ("esm-kafka-mq-docdb", "**partitions**", "esm-kafka-concurrency-partitions"),
        ("sync-payloads-streaming", "`STREAM` response transfer mode", "sync-apigw-rest-streaming"),
        ("sync-payloads-streaming", "**Node.js** managed runtimes", "sync-streaming-runtimes"),
        ("sync-throttling", "asynchronous requests is not bound by it", "sync-async-intake-not-10x"),
        ("sync-cold-warm", "Since 1 August 2025 AWS bills the Init phase", "sync-init-billed"),
        ("sync-concurrency", "**Tenant isolation mode**", "sync-tenant-isolation"),
        ("esm-streams", "at most **two** Lambda consumers", "esm-ddb-two-readers"),
    ],
)
def test_a_missing_fact_is_taught_cited_and_asked(course, lesson_id, fact, question_id):
    lesson = course.lessons[lesson_id]
    assert fact in " ".join(lesson.body.split())
    question = _question(course, question_id)
    assert question.lesson == lesson_id
    assert question.source in lesson.sources
