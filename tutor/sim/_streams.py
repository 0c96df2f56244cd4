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

from array import array
from collections import deque
from typing import TYPE_CHECKING, Any

from tutor.sim._common import (
    ARRIVE_RECORD,
    BACKOFF_FIRST_S,
    BACKOFF_MAX_S,
    EACH,
    SUCCEEDED,
    WHOLE,
    Core,
    Item,
    t6,
)

if TYPE_CHECKING:
    from simpy import Event


UNREAD_CHUNK = 4096  # records per chunk of a slot's unread records, freed as the reader moves on


class Unread:
    """A slot's records not read yet, in order, as numbers and arrival times (12 bytes a record,
    in chunks): a backlog of millions costs no `Item`s. Records become `Item`s when read."""

    __slots__ = ("chunks", "count", "head")

    def __init__(self) -> None:
        self.chunks: deque[tuple[array, array]] = deque()
        self.head = 0  # the first unread record, in chunks[0]
        self.count = 0

    def append(self, n: int, t: float) -> None:
        chunks = self.chunks
        if not chunks or len(chunks[-1][0]) >= UNREAD_CHUNK:
            chunks.append((array("i"), array("d")))
        numbers, times = chunks[-1]
        numbers.append(n)
        times.append(t)
        self.count += 1

    def front(self) -> tuple[int, float]:
        numbers, times = self.chunks[0]
        return numbers[self.head], times[self.head]

    def take(self, count: int) -> list[tuple[int, float]]:
        """The first `count` records, taken off."""
        taken: list[tuple[int, float]] = []
        chunks = self.chunks
        while len(taken) < count:
            numbers, times = chunks[0]
            end = min(len(numbers), self.head + count - len(taken))
            taken.extend(zip(numbers[self.head : end], times[self.head : end], strict=True))
            if end == len(numbers):
                chunks.popleft()
                self.head = 0
            else:
                self.head = end
        self.count -= count
        return taken


class Slot:
    """One parallelization slot of a shard: its records not read yet, those read and not yet done
    (in order: a slot's records are done in the order they arrived), and the reader's state."""

    __slots__ = ("blocked", "busy", "index", "shard", "taken", "unread", "wake", "window_end")

    def __init__(self, shard: int, index: int):
        self.shard = shard
        self.index = index
        self.unread = Unread()
        self.taken: deque[Item] = deque()  # read, not done yet
        self.wake: Event | None = None  # set while its reader waits for records or its window
        self.window_end = 0.0
        self.blocked = False
        self.busy = False

    def first_undone(self) -> tuple[int, float] | None:
        """Number and arrival time of the slot's first record not done yet, if any."""
        if self.taken:
            first = self.taken[0]
            return first.n, first.t
        return self.unread.front() if self.unread.count else None

    def done(self, records: list[Item]) -> None:
        taken = self.taken
        for _ in records:
            taken.popleft()


class Shard:
    """A shard keeps no record: its records wait in its slots, and its checkpoint (the records
    before it are all done) is worked out from the slots' first records not done when asked."""

    __slots__ = ("index", "iterator_age_s", "keys_per_cycle", "put")

    def __init__(self, index: int, keys: int, shards: int):
        self.index = index
        self.put = 0  # records put so far
        self.iterator_age_s = 0.0
        # Of every `keys` records in a row, this many map to this shard (key k, k + shards, ...).
        self.keys_per_cycle = len(range(index, keys, shards))


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
        self.shards = [Shard(i, self.keys, cfg.shards) for i in range(cfg.shards)]
        self.slots = [[Slot(i, j) for j in range(self.factor)] for i in range(cfg.shards)]
        # Per partition key (from 0): the slot its records go to, worked out once.
        self.key_slots = [
            self.slots[key % cfg.shards][(key // cfg.shards) % self.factor] for key in range(self.keys)
        ]
        self.specials: dict[int, Item] = {}  # poisoned records, made by the producer, by number
        self.max_iterator_age_s = 0.0
        for shard_slots in self.slots:
            for slot in shard_slots:
                self.env.process(self.read(slot))

    def arrive_one(self, item: Item) -> None:
        """A record made by the producer (a poison was pending): kept until it is read."""
        self.specials[item.n] = item
        self.arrive_number(item.n, item.t)

    def arrive(self, items: list[Item]) -> None:
        for item in items:
            self.specials[item.n] = item
        self.arrive_range(items[0].n, items[-1].n + 1, items[0].t)

    def arrive_number(self, n: int, t: float) -> None:
        slot = self.put(n, t)
        self.core.outstanding += 1
        if slot.wake is not None:
            self.nudge(slot)

    def arrive_range(self, first: int, end: int, t: float) -> None:
        """Records first .. end - 1 all put at t (a burst); each waiting reader is woken once."""
        woken: list[Slot] = []
        for n in range(first, end):
            slot = self.put(n, t)
            if slot.wake is not None and slot not in woken:
                woken.append(slot)
        self.core.outstanding += end - first
        for slot in woken:
            self.nudge(slot)

    def put(self, n: int, t: float) -> Slot:
        """Record n, put at t, joins its shard and slot."""
        key = (n - 1) % self.keys
        slot = self.key_slots[key]
        core = self.core
        if core.tracing:
            core.rows.extend((ARRIVE_RECORD, t, n, key + 1, slot.shard, slot.index))
        self.shards[slot.shard].put += 1
        slot.unread.append(n, t)
        return slot

    def record(self, n: int, t: float, slot: Slot) -> Item:
        """Record n as an `Item`, made when its slot's reader reads it."""
        special = self.specials.pop(n, None) if self.specials else None
        item = special if special is not None else Item(self.core.prefix, n, t)
        if special is None and self.core.faults_by_n:
            item.faults = self.core.faults_by_n.get(n)
        item.shard = slot.shard
        item.slot = slot.index
        return item

    def records(self, taken: list[tuple[int, float]], slot: Slot) -> list[Item]:
        """`record` for a whole batch of plain records (no poison, no faults): one call a batch."""
        prefix = self.core.prefix
        shard = slot.shard
        index = slot.index
        batch = []
        for n, t in taken:
            item = Item(prefix, n, t)
            item.shard = shard
            item.slot = index
            batch.append(item)
        return batch

    def nudge(self, slot: Slot) -> None:
        """Wake a waiting reader if it can send a batch now."""
        waiting = slot.unread.count
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
                waiting = slot.unread.count
                if waiting and (waiting >= batch_size or env._now >= slot.window_end):
                    break
                slot.wake = wake = env.event()
                if env._now < slot.window_end:
                    env.process(self.window_timer(slot, wake))
                yield wake
            taken = slot.unread.take(min(batch_size, slot.unread.count))
            if self.specials or self.core.faults_by_n:
                record = self.record
                batch = [record(n, t, slot) for n, t in taken]
            else:
                batch = self.records(taken, slot)
            slot.taken.extend(batch)
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
        # `core.succeed` for each record, written out: every record passes here.
        now = self.env._now
        latencies = core.latencies
        for r in records:
            if r.outcome is None:
                r.outcome = SUCCEEDED
                core.succeeded += 1
                latencies.append(now - r.t)
        if records:
            self.slots[records[0].shard][records[0].slot].done(records)
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
            self.slots[records[0].shard][records[0].slot].done(records)
        core.outstanding -= len(records)
        core.settle()

    def position(self, shard: Shard, n: int) -> int:
        """How many records were put on `shard` before record n (which is on it)."""
        cycles, within = divmod(n - 1, self.keys)
        return cycles * shard.keys_per_cycle + len(range(shard.index, within, len(self.shards)))

    def record_at(self, shard: Shard, position: int) -> int:
        """The number of the record at `position` (from 0) on `shard`: `position`'s inverse."""
        cycles, within = divmod(position, shard.keys_per_cycle)
        return cycles * self.keys + shard.index + within * len(self.shards) + 1

    def checkpoint_of(self, shard: Shard, slots: list[Slot]) -> tuple[int, float | None]:
        """The shard's checkpoint (records before it are all done) and the arrival time of the
        record there, the oldest not done (None when every record put is done)."""
        oldest: tuple[int, float] | None = None
        for slot in slots:
            first = slot.first_undone()
            if first is not None and (oldest is None or first[0] < oldest[0]):
                oldest = first
        if oldest is None:
            return shard.put, None
        return self.position(shard, oldest[0]), oldest[1]

    def snapshot(self) -> dict:
        shards = []
        now = self.env._now
        for shard, slots in zip(self.shards, self.slots, strict=True):
            checkpoint, oldest_t = self.checkpoint_of(shard, slots)
            shards.append(
                {
                    "shard": shard.index,
                    "records": shard.put,
                    "checkpoint": checkpoint,
                    "iterator_age_s": t6(shard.iterator_age_s),
                    "oldest_record_age_s": t6(now - oldest_t) if oldest_t is not None else 0.0,
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
        prefix = self.core.prefix
        for shard, slots in zip(self.shards, self.slots, strict=True):
            checkpoint, _ = self.checkpoint_of(shard, slots)
            # A slot's records are done, then read, then unread, in order: two numbers mark them.
            bounds = []
            for slot in slots:
                first = slot.first_undone()
                undone = first[0] if first is not None else None
                unread = slot.unread.front()[0] if slot.unread.count else None
                bounds.append((undone, unread))
            records: list[tuple[str, str]] = []
            for position in range(checkpoint, min(shard.put, checkpoint + limit)):
                n = self.record_at(shard, position)
                undone, unread = bounds[((n - 1) % self.keys // len(self.shards)) % self.factor]
                if undone is None or n < undone:
                    mark = "done"
                elif unread is not None and n >= unread:
                    mark = "waiting"
                else:
                    mark = "batch"
                records.append((f"{prefix}-{n}", mark))
            shards.append({"shard": shard.index, "records": records})
        return {"shards": shards}

    def summary(self) -> dict:
        return {"max_iterator_age_s": t6(self.max_iterator_age_s)}
