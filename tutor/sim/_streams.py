"""Kinesis Data Streams and DynamoDB Streams with an event source mapping (same semantics).

Record n has partition key pk-k with k = (n - 1) mod partition_keys + 1; key k lives on shard
(k - 1) mod shards and, within it, on slot ((k - 1) div shards) mod parallelization_factor. Each
slot is read in order by one reader, one batch at a time, so a key's records keep their order.

A reader gathers a batch (`batch_size` records, or what it has when its batching window ends; the
window starts when its previous invocation ends, so a reader whose window ended while it had
nothing to read sends the next record at once) and invokes. A failed batch blocks its slot and
is retried after 1 s, 2 s, 4 s ... (up to 300 s; AWS documents no curve) until it succeeds, its
retries are used up (`RetryAttemptsExhausted`) or its oldest record is older than
`maximum_record_age_s` (`RecordAgeExceeded`); then its records go to `on_failure` (or are
dropped) and the slot moves on. Throttled batches are retried the same way without using a retry.

Interpretations:
- Records already older than `maximum_record_age_s` when a batch is formed (a fresh read, a bisect
  half, or the rest after a checkpoint) are split off and sent on without invoking. On a retry of
  the same batch the age is checked when the retry is due: if its oldest record is too old then,
  the whole batch goes.
- Bisect: a batch that fails as a whole (raise or timeout) and holds more than one record is split
  at once, the first half holding the extra record of an odd batch; each half is a new batch with
  a fresh retry count, tried in order. A batch of one record is retried normally.
- `report_batch_item_failures`: the handler reports its failed records; the slot checkpoints just
  before the first one. If that moved the checkpoint, the rest of the batch is a new, shorter
  batch sent at once with a fresh retry count; otherwise the same batch is retried with backoff.
  Records after the checkpoint that the handler did process count as duplicates when processed
  again.
- A record succeeds when the checkpoint passes it. No polling delay and no stream retention are
  modelled: readers see a record the instant it is put, and records never expire on their own.
- Iterator age (AWS's `IteratorAge`): each time a batch is sent, retries included, the time since
  its last record arrived.
- Retry numbers: a `retry` names the retry the batch waits for (`retry` N, 1-based; 0 while it
  still waits for its first try: after a throttle, which uses no retry, or as the rest of a batch
  after a checkpoint, with a fresh count) and `max_retries` (`maximum_retry_attempts`, -1 for no
  limit, as AWS writes it); an `invoke_start` that is a retry carries the same two fields.
  A batch given up after invoking (`destination` or `drop`) carries the retries it had.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from tutor.sim._common import BACKOFF_FIRST_S, BACKOFF_MAX_S, EACH, WHOLE, Core, Item, t6

if TYPE_CHECKING:
    from simpy import Event


class Slot:
    """One parallelization slot of a shard: the records its reader has not read yet, in order,
    and the reader's state."""

    __slots__ = ("blocked", "busy", "index", "records", "shard", "wake", "window_end")

    def __init__(self, shard: int, index: int):
        self.shard = shard
        self.index = index
        self.records: deque[Item] = deque()
        self.wake: Event | None = None  # set while its reader waits for records or its window
        self.window_end = 0.0
        self.blocked = False
        self.busy = False


class Shard:
    """A shard keeps only its records from the checkpoint on: a long run does not hold every
    record it ever put."""

    __slots__ = ("checkpoint", "index", "iterator_age_s", "put", "unfinished")

    def __init__(self, index: int):
        self.index = index
        self.put = 0  # records put so far
        self.unfinished: deque[Item] = deque()  # from the checkpoint on, in order
        self.checkpoint = 0  # records before this position are all done
        self.iterator_age_s = 0.0

    def move_checkpoint(self) -> None:
        """Past every record at the front that is done."""
        unfinished = self.unfinished
        while unfinished and unfinished[0].outcome is not None:
            unfinished.popleft()
            self.checkpoint += 1


class StreamModel:
    def __init__(self, core: Core, kind: str):
        self.kind = kind
        self.core = core
        self.env = core.env
        cfg = core.scenario.kinesis
        self.batch_size = cfg.batch_size
        self.window_s = float(cfg.maximum_batching_window_s)
        self.factor = cfg.parallelization_factor
        self.bisect = cfg.bisect_batch_on_function_error
        self.report = EACH if cfg.report_batch_item_failures else WHOLE
        self.maximum_retry_attempts = cfg.maximum_retry_attempts
        self.maximum_record_age_s = (
            None if cfg.maximum_record_age_s == -1 else float(cfg.maximum_record_age_s)
        )
        self.on_failure = cfg.on_failure
        self.keys = core.scenario.load.partition_keys
        self.shards = [Shard(i) for i in range(cfg.shards)]
        self.slots = [[Slot(i, j) for j in range(self.factor)] for i in range(cfg.shards)]
        self.max_iterator_age_s = 0.0
        for shard_slots in self.slots:
            for slot in shard_slots:
                self.env.process(self.read(slot))

    arrive_one = None  # the producer hands over single items as lists

    def arrive(self, items: list[Item]) -> None:
        core = self.core
        emit = core.emit
        tracing = core.tracing
        t = t6(self.env._now)
        shards = len(self.shards)
        woken = []
        for r in items:
            key = (r.n - 1) % self.keys + 1
            shard = r.shard = (key - 1) % shards
            r.slot = ((key - 1) // shards) % self.factor
            r.key = f"pk-{key}"
            if tracing:
                emit({"t": t, "kind": "arrive", "item": r.id, "key": r.key, "shard": shard, "slot": r.slot})
            on_shard = self.shards[shard]
            on_shard.put += 1
            on_shard.unfinished.append(r)
            slot = self.slots[shard][r.slot]
            slot.records.append(r)
            if slot.wake is not None and slot not in woken:
                woken.append(slot)
        core.outstanding += len(items)
        for slot in woken:
            self.nudge(slot)

    def nudge(self, slot: Slot) -> None:
        """Wake a waiting reader if it can send a batch now."""
        waiting = len(slot.records)
        if waiting and (waiting >= self.batch_size or self.env._now >= slot.window_end):
            wake, slot.wake = slot.wake, None
            assert wake is not None  # only a waiting reader is nudged
            wake.succeed()

    def read(self, slot: Slot):
        """One slot's reader: gather a batch in order, process it to the end, repeat."""
        env = self.env
        batch_size = self.batch_size
        slot.window_end = env._now + self.window_s
        while True:
            while True:
                waiting = len(slot.records)
                if waiting and (waiting >= batch_size or env._now >= slot.window_end):
                    break
                slot.wake = wake = env.event()
                if env._now < slot.window_end:
                    env.process(self.window_timer(slot, wake))
                yield wake
            take = slot.records.popleft
            batch = [take() for _ in range(min(batch_size, len(slot.records)))]
            yield from self.process(slot, batch)
            slot.window_end = env._now + self.window_s

    def window_timer(self, slot: Slot, wake):
        yield self.env.timeout(slot.window_end - self.env._now)
        if slot.wake is wake:
            self.nudge(slot)

    def process(self, slot: Slot, batch: list[Item]):
        """Send one batch until it is done with: success, give-up, or split into halves."""
        env = self.env
        core = self.core
        max_retries = self.maximum_retry_attempts
        todo = [batch]
        while todo:
            batch = self.split_off_old(todo.pop())
            retries = 0
            backoff = BACKOFF_FIRST_S
            while batch:
                counts = {"retry": retries, "max_retries": max_retries} if retries else None
                invocation = core.start(batch, self.report, slot.shard, counts)
                if invocation is None:
                    retry_at = env._now + backoff
                    core.retry(batch, "throttle", retry_at, retry=retries, max_retries=max_retries)
                else:
                    self.sent(slot, batch)
                    yield env.timeout(invocation.total_s)
                    core.finish(invocation)
                    slot.busy = False
                    if invocation.failed is None:
                        self.commit(batch)
                        break
                    if invocation.partial:
                        rest = self.checkpoint(batch, invocation.failed)
                        if rest is not None:
                            batch = rest
                            retries = 0
                            backoff = BACKOFF_FIRST_S
                            if batch:
                                core.retry(
                                    batch, "function_error", env._now, retry=0, max_retries=max_retries
                                )
                            continue
                    elif self.bisect and len(batch) > 1:
                        self.split(batch, todo)
                        break
                    if max_retries != -1 and retries >= max_retries:
                        self.give_up(batch, "RetryAttemptsExhausted", retry=retries, max_retries=max_retries)
                        break
                    retries += 1
                    retry_at = env._now + backoff
                    core.retry(batch, "function_error", retry_at, retry=retries, max_retries=max_retries)
                slot.blocked = True
                yield env.timeout(backoff)
                slot.blocked = False
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                max_age = self.maximum_record_age_s
                if max_age is not None and env._now - batch[0].t > max_age:
                    self.give_up(batch, "RecordAgeExceeded", retry=retries, max_retries=max_retries)
                    break

    def sent(self, slot: Slot, batch: list[Item]) -> None:
        """A batch is on its way to the handler: its iterator age is measured, its slot is busy."""
        age = self.env._now - batch[-1].t
        self.max_iterator_age_s = max(self.max_iterator_age_s, age)
        self.shards[slot.shard].iterator_age_s = age
        slot.busy = True

    def checkpoint(self, batch: list[Item], failed: list[Item]) -> list[Item] | None:
        """The handler reported failed records: the slot checkpoints before the first one. Returns
        the rest of the batch (less any records too old by now) as a new batch, or None if the
        first record failed, so the checkpoint did not move and the same batch is retried."""
        first = min(batch.index(r) for r in failed)
        if not first:
            return None
        self.commit(batch[:first])
        return self.split_off_old(batch[first:])

    def split(self, batch: list[Item], todo: list[list[Item]]) -> None:
        """Bisect a failed batch: two halves (the first holds the extra record), tried in order."""
        half = (len(batch) + 1) // 2
        halves = [batch[:half], batch[half:]]
        self.core.emit(
            {
                "t": t6(self.env._now),
                "kind": "bisect",
                "items": [r.id for r in batch],
                "halves": [[r.id for r in h] for h in halves],
            }
        )
        todo.append(halves[1])
        todo.append(halves[0])

    def split_off_old(self, batch: list[Item]) -> list[Item]:
        """Records already too old when read are sent on without invoking."""
        limit = self.maximum_record_age_s
        if limit is None or self.env._now - batch[0].t <= limit:
            return batch
        now = self.env._now
        cut = 0
        while cut < len(batch) and now - batch[cut].t > limit:
            cut += 1
        self.give_up(batch[:cut], "RecordAgeExceeded")
        return batch[cut:]

    def commit(self, records: list[Item]) -> None:
        core = self.core
        for r in records:
            core.succeed(r)
        if records:
            self.shards[records[0].shard].move_checkpoint()
        core.outstanding -= len(records)
        core.settle()

    def give_up(self, records: list[Item], reason: str, **counts: Any) -> None:
        """`counts`: the retries the batch had (none for records too old when read)."""
        core = self.core
        if self.on_failure != "none":
            core.deliver(records, "on_failure", reason, **counts)
        else:
            core.drop(records, reason, **counts)
        for r in records:
            core.fail(r, reason)
        if records:
            self.shards[records[0].shard].move_checkpoint()
        core.outstanding -= len(records)
        core.settle()

    def snapshot(self) -> dict:
        shards = []
        now = self.env._now
        for shard, slots in zip(self.shards, self.slots, strict=True):
            shard.move_checkpoint()
            oldest = shard.unfinished[0] if shard.unfinished else None
            shards.append(
                {
                    "shard": shard.index,
                    "records": shard.put,
                    "checkpoint": shard.checkpoint,
                    "iterator_age_s": t6(shard.iterator_age_s),
                    "oldest_record_age_s": t6(now - oldest.t) if oldest is not None else 0.0,
                    "blocked": any(slot.blocked for slot in slots),
                    "busy_slots": sum(1 for slot in slots if slot.busy),
                    "slots": len(slots),
                }
            )
        return {"shards": shards}

    def stage_items(self, limit: int) -> dict:
        """Each shard's records from its checkpoint on, in order, the first `limit` of them marked
        "done" (processed, waiting for the checkpoint to pass), "batch" (read, in a batch being
        processed or retried) or "waiting" (not read yet). Computed on demand, never kept."""
        shards = []
        for shard, slots in zip(self.shards, self.slots, strict=True):
            shard.move_checkpoint()
            unread = {id(r) for slot in slots for r in slot.records}
            records: list[tuple[str, str]] = []
            for r in shard.unfinished:
                if len(records) >= limit:
                    break
                mark = "done" if r.outcome is not None else "waiting" if id(r) in unread else "batch"
                records.append((r.id, mark))
            shards.append({"shard": shard.index, "records": records})
        return {"shards": shards}

    def summary(self) -> dict:
        return {"max_iterator_age_s": t6(self.max_iterator_age_s)}
