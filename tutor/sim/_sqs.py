"""Amazon SQS with an event source mapping: pollers receive batches and invoke synchronously.

Flow: a message arrives visible; an idle poller receives it (its receive count rises and it stays
invisible for `visibility_timeout_s`), gathers a batch, invokes; a success deletes the batch, a
failure lets the visibility timeout lapse so the messages come back. A message received more than
`max_receive_count` times is moved to the queue's DLQ instead (condition `maxReceiveCount`).

Pollers: 5 at first (fewer if `maximum_concurrency` is lower), one more every 0.2 s (300 a
minute) while messages wait that a poller could take, up to `maximum_concurrency` or 1,250. Each
poller runs one batch at a time. Pollers are not limited by the function's concurrency: a
throttled batch is retried by its poller after 1 s, 2 s, 4 s ... (up to 300 s) while its
messages stay invisible; when the next retry would come at or after the visibility timeout, the
poller lets the batch go, and the messages return to the queue at their timeout. The poller
takes no other batch until then.

Batching: a poller's window starts when its previous invocation ends (for a new poller: when it
starts). It sends its batch when it holds `batch_size` messages, or when the window is over and
it holds at least one; after a window ends empty it sends as soon as it receives anything. With a
window of 0 it sends whatever it received at once. Idle pollers receive one at a time in the
order they became idle, each taking up to what it still has room for.

Interpretations:
- Taken literally, the window rule means a poller whose window ended while it held nothing sends
  the next message it receives at once: on a quiet queue only a poller that has just finished an
  invocation gathers.
- Messages received together share one visibility deadline and come back together; messages a
  poller gathers at different instants of its window come back at different instants.
- A message whose visibility timeout lapses while its batch is still running becomes visible
  (a `retry` with reason `visibility_timeout`); when that batch later succeeds, it deletes the
  message only if nobody received it again in between (an out-of-date receipt deletes nothing),
  so the other receive processes it a second time: a duplicate.
- An item's final outcome is its first successful processing or its move to the DLQ, whichever
  comes first; later copies only count as `duplicates`.
- A `retry` event is written when a failed (or given-up, throttled) batch's messages are due back,
  with `at` = their visibility deadline.
- Receive counts: a `retry` carries `receive_counts` (each message's receive count so far, in the
  order of `items`) and, with a redrive policy, `max_receive_count`; so does an `invoke_start`
  whose batch holds a message received before (a first receive is the common case and says
  nothing new). A move to the DLQ (`destination`, target `dlq`) carries them too.
- Pollers do not scale down and do not back off after function errors (AWS reduces the mapping's
  concurrency then; it documents no numbers).
- FIFO: a receive takes, in queue order of the groups' oldest messages, every visible message of
  each group that has nothing in flight, up to the batch size. A group stays locked while any of
  its messages is in flight; returned messages go back in front of their group, in order.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable
from heapq import heappush
from itertools import repeat
from typing import Any, ClassVar

from tutor.sim._common import (
    BACKOFF_FIRST_S,
    BACKOFF_MAX_S,
    DELETE,
    DELETE_RANGE,
    EACH,
    NORMAL,
    REST,
    SUCCEEDED,
    URGENT,
    WHOLE,
    Core,
    Invocation,
    Item,
    t6,
)

INITIAL_POLLERS = 5
MAX_POLLERS = 1250
SCALE_STEP_S = 60.0 / 300  # one more concurrent batch every 0.2 s: 300 a minute
VISIBLE, IN_FLIGHT, DONE = 0, 1, 2


# Messages that arrived one after another and wait unreceived are kept as a `Fresh` run of numbers
# and arrival times (8 bytes a message) and become `Item`s only when received: a backlog of
# millions stays small. A run is cut at this many messages so that a long backlog's consumed
# front is freed as the queue drains.
FRESH_RUN = 65_536


class Fresh:
    """Messages `n` .. `end - 1`, in order, visible and never received yet: their arrival times
    are `times[k - first]`, or all `t` when `times` is None (a burst)."""

    __slots__ = ("end", "first", "n", "t", "times")

    def __init__(self, first: int, end: int, t: float, times: array | None):
        self.first = first
        self.n = first  # the next one to be received
        self.end = end
        self.t = t
        self.times = times

    def receive(self, room: int, receipt: Receipt, core: Core, append: Callable[[Item], None]) -> int:
        """Up to `room` messages off the front of the run, each made an `Item` received now by
        `receipt` and handed to `append`; returns how many. A first receive never reaches
        `max_receive_count` (at least 1), so none of them can be redriven.

        Every message passes here once, so the run is cut in one go rather than a message at a time,
        and each `Item` is made here field by field (the values of `Item.__init__`, then the
        receive's): no `__init__` call per message, and no field stored twice."""
        first = self.n
        end = min(self.end, first + room)
        prefix = core.prefix
        faults_by_n = core.faults_by_n
        times = self.times
        arrived = (
            repeat(self.t, end - first) if times is None else times[first - self.first : end - self.first]
        )
        new = Item.__new__
        for n, t in zip(range(first, end), arrived, strict=True):
            item = new(Item)
            item.id = f"{prefix}-{n}"
            item.n = n
            item.t = t
            item.outcome = None
            item.successes = 0
            item.attempts = 0
            item.faults = faults_by_n.get(n) if faults_by_n else None
            item.poisoned = False
            item.state = IN_FLIGHT
            item.receives = 1
            item.holder = receipt
            item.group = 0
            item.shard = 0
            item.slot = 0
            append(item)
        self.n = end
        return end - first


class Receipt:
    """Messages received together by one poller: one visibility deadline.

    Each message points at the receipt that received it last (`Item.holder`); a receipt whose
    messages were received again since is out of date for them and can no longer delete them.
    """

    __slots__ = ("deadline", "first", "guarded", "msgs")

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.msgs: list[Item] = []
        self.guarded = False  # a visibility lapse is already scheduled
        # Not 0: `msgs` are messages first, first + 1, ... in order, which the trace rows of a
        # batch of this receipt alone name as a range (see _common.INVOKE_RANGE).
        self.first = 0


class Poller:
    """One poller, on SimPy's queue as its own event rather than a SimPy process: each step of its
    cycle (start, woken, invocation over, backoff over) pushes the poller itself with the callback
    for the next step, at the time and priority the process's event would have had, taking its
    event number at the same moment. Per batch that saves a wake event, a timeout and two
    generator resumes. `Environment.step` (the engine's loop) pops it, calls `callbacks` and
    checks `_ok`; a poller is on the queue at most once at a time."""

    __slots__ = (
        "backoff",
        "callbacks",
        "count",
        "counts",
        "first",
        "held",
        "ids",
        "invisible_until",
        "invocation",
        "items",
        "number",
        "state",
        "waits",
        "window_end",
        "woken",
    )
    _ok: ClassVar[bool] = True

    def __init__(self, number: int):
        self.number = number
        self.held: list[Receipt] = []
        self.count = 0
        self.window_end = 0.0
        self.state = "receiving"  # receiving | invoking | backing_off
        self.callbacks: list | None = None
        # Its waits among the receivers, counted so that a window timer knows whether the wait it
        # was started for is still on; `woken` once that wait has ended.
        self.waits = 0
        self.woken = False
        self.invocation: Invocation | None = None  # the batch's invocation while it runs
        self.ids: str | None = None  # its `invoke_start` row's ids, when that row is compact
        self.first = 0  # its batch's first message, when the batch is one range (Receipt.first)
        # A throttled batch: its messages, its receive counts, the current backoff, and when the
        # first of its receipts lapses.
        self.items: list[Item] = []
        self.counts: dict | None = None
        self.backoff = BACKOFF_FIRST_S
        self.invisible_until = 0.0


class SqsModel:
    kind = "sqs"

    def __init__(self, core: Core):
        self.core = core
        self.env = core.env
        cfg = core.scenario.sqs
        self.batch_size = cfg.batch_size
        self.window_s = float(cfg.maximum_batching_window_s)
        self.visibility_timeout_s = float(cfg.visibility_timeout_s)
        self.max_receive_count = cfg.max_receive_count
        self.fifo = cfg.fifo
        self.message_groups = cfg.message_groups
        if self.fifo:
            self.report = REST if cfg.report_batch_item_failures else WHOLE
        else:
            self.report = EACH if cfg.report_batch_item_failures else WHOLE
        cap = MAX_POLLERS if cfg.maximum_concurrency is None else min(cfg.maximum_concurrency, MAX_POLLERS)
        self.cap = cap
        # The standard queue, in order; deleted messages are skipped lazily.
        self.visible: deque[Item | Fresh] = deque()
        self.fifo_visible: dict[int, deque[Item]] = {}  # FIFO: group -> its visible messages in order
        self.group_in_flight = [0] * (self.message_groups + 1) if self.fifo else []
        self.visible_count = 0
        self.max_queue_depth = 0
        self.receivers: deque[Poller] = deque()
        self.pollers: list[Poller] = []
        self.scaling = False
        self.batches_in_flight = 0
        self.moved_to_dlq = 0
        self.deleted = 0
        self.can_grow = True  # fewer pollers than the cap
        self.redelivered = False  # some message came back, so receive counts above 1 exist
        # The producer's fast paths for messages it has not made `Item`s of; FIFO messages go
        # through `arrive`.
        self.arrive_one = None if self.fifo else self._arrive_one
        self.arrive_number = None if self.fifo else self._arrive_number
        self.arrive_range = None if self.fifo else self._arrive_range
        self.quiet_arrivals = None if self.fifo else (self._quiet, self._queue_numbers)
        # SimPy's event queue, which the pollers join (see `Poller`), and their steps.
        self.queue: list[Any] = core.env._queue
        self.begin_callbacks = [self.begin]
        self.gather_callbacks = [self.gather]
        self.ended_callbacks = [self.ended]
        self.retry_callbacks = [self.retry_batch]
        self.lapsed_callbacks = [self.next_window]
        for _ in range(min(INITIAL_POLLERS, cap)):
            self.add_poller()

    # -- the queue ------------------------------------------------------------------------------

    def arrive(self, items: list[Item]) -> None:
        """Messages sent at one instant become visible together (like SendMessageBatch)."""
        core = self.core
        emit = core.emit
        t = t6(self.env._now)
        if self.fifo:
            groups = self.message_groups
            for m in items:
                g = m.group = (m.n - 1) % groups + 1
                emit({"t": t, "kind": "arrive", "item": m.id, "group": f"g-{g}"})
                queue = self.fifo_visible.get(g)
                if queue is None:
                    queue = self.fifo_visible[g] = deque()
                queue.append(m)
        else:
            for m in items:
                emit(m.t)  # an `arrive` row (see _common.INVOKE_START)
            if len(items) == 1:
                self.visible.append(items[0])
            else:
                self.visible.extend(items)
        core.outstanding += len(items)
        count = self.visible_count = self.visible_count + len(items)
        self.max_queue_depth = max(self.max_queue_depth, count)
        if self.receivers:
            self.offer()
        elif not self.scaling and len(self.pollers) < self.cap:
            self.start_scaling()

    def _arrive_one(self, m: Item) -> None:
        """`arrive` for one message on a standard queue, the common case, without the lists."""
        core = self.core
        if core.tracing:
            core.rows.append(m.t)  # an `arrive` row (see _common.INVOKE_START)
        self.visible.append(m)
        core.outstanding += 1
        count = self.visible_count = self.visible_count + 1
        if count > self.max_queue_depth:  # noqa: PLR1730 - once per message: a call to max() costs more
            self.max_queue_depth = count
        if self.receivers:
            self.offer()
        elif self.can_grow and not self.scaling:
            self.start_scaling()

    def _arrive_number(self, n: int, t: float) -> None:
        """`_arrive_one` for message n arriving at t, kept as a number and a time (see `Fresh`)."""
        core = self.core
        if core.tracing:
            core.rows.append(t)  # an `arrive` row (see _common.INVOKE_START)
        visible = self.visible
        last = visible[-1] if visible else None
        if type(last) is Fresh and last.end == n and last.times is not None and n - last.first < FRESH_RUN:
            last.times.append(t)
            last.end = n + 1
        else:
            visible.append(Fresh(n, n + 1, t, array("d", (t,))))
        core.outstanding += 1
        count = self.visible_count = self.visible_count + 1
        if count > self.max_queue_depth:  # noqa: PLR1730 - once per message: a call to max() costs more
            self.max_queue_depth = count
        if self.receivers:
            self.offer()
        elif self.can_grow and not self.scaling:
            self.start_scaling()

    def _quiet(self) -> bool:
        """Whether `_arrive_number` would only queue a message now: no poller waits for one and no
        poller is to be added (see `Producer`)."""
        return not self.receivers and (self.scaling or not self.can_grow)

    def _queue_numbers(self, first: int, times: list[float]) -> None:
        """`_arrive_number` for messages first, first + 1, ... arriving at `times` while `_quiet`:
        the same rows, runs and counts, written for all of them at once."""
        core = self.core
        count = len(times)
        if core.tracing:
            core.rows.extend(times)  # `arrive` rows (see _common.INVOKE_START)
        visible = self.visible
        n = first
        done = 0
        while done < count:
            last = visible[-1] if visible else None
            if (
                type(last) is Fresh
                and last.end == n
                and last.times is not None
                and n - last.first < FRESH_RUN
            ):
                take = min(count - done, FRESH_RUN - (n - last.first))
                last.times.extend(times[done : done + take])
                last.end = n + take
            else:
                take = min(count - done, FRESH_RUN)
                visible.append(Fresh(n, n + take, times[done], array("d", times[done : done + take])))
            n += take
            done += take
        core.outstanding += count
        depth = self.visible_count = self.visible_count + count
        if depth > self.max_queue_depth:  # noqa: PLR1730 - as in `_arrive_number`
            self.max_queue_depth = depth

    def _arrive_range(self, first: int, end: int, t: float) -> None:
        """`arrive` for messages first .. end - 1 all sent at t (a burst), without their `Item`s."""
        core = self.core
        count = end - first
        if core.tracing:
            core.rows.extend(repeat(t, count))  # `arrive` rows (see _common.INVOKE_START)
        self.visible.append(Fresh(first, end, t, None))
        core.outstanding += count
        depth = self.visible_count = self.visible_count + count
        self.max_queue_depth = max(self.max_queue_depth, depth)
        if self.receivers:
            self.offer()
        elif not self.scaling and len(self.pollers) < self.cap:
            self.start_scaling()

    def make_visible(self, msgs: list[Item]) -> None:
        """Messages whose visibility timeout ended at this instant come back together."""
        self.redelivered = True
        for m in msgs:
            m.state = VISIBLE
        if self.fifo:
            by_group: dict[int, list[Item]] = {}
            for m in msgs:
                by_group.setdefault(m.group, []).append(m)
            for g, back in by_group.items():
                self.group_in_flight[g] -= len(back)
                waiting = self.fifo_visible.get(g)
                merged = sorted([*back, *(waiting or ())], key=lambda m: m.n)
                self.fifo_visible[g] = deque(merged)
        else:
            self.visible.extend(msgs)
        count = self.visible_count = self.visible_count + len(msgs)
        self.max_queue_depth = max(self.max_queue_depth, count)
        self.offer()

    def takeable(self) -> bool:
        """Whether some visible message could be received now (FIFO: its group has nothing in flight)."""
        if not self.fifo:
            return self.visible_count > 0
        in_flight = self.group_in_flight
        return any(not in_flight[g] for g in self.fifo_visible)

    def take(self, room: int, receipt: Receipt) -> list[Item]:
        """ReceiveMessage: up to `room` visible messages, now invisible with a raised receive count.

        A standard queue reads its one queue; FIFO reads, in turn, the queue of each group with
        nothing in flight, oldest first, and locks the groups it took from."""
        taken = receipt.msgs
        redrive: list[Item] = []
        limit = self.max_receive_count
        popped = 0
        sources: list[tuple[int | None, deque[Item] | deque[Item | Fresh]]]
        if self.fifo:
            in_flight = self.group_in_flight
            order = sorted((queue[0].n, g) for g, queue in self.fifo_visible.items() if not in_flight[g])
            sources = [(g, self.fifo_visible[g]) for _, g in order]
        else:
            sources = [(None, self.visible)]
        append = taken.append
        core = self.core
        for g, queue in sources:
            popleft = queue.popleft
            got = before = len(taken)
            while queue and got < room:
                m = queue[0]
                if isinstance(m, Fresh):
                    count = m.receive(room - got, receipt, core, append)
                    if m.n == m.end:
                        popleft()
                    popped += count
                    got += count
                    continue
                popleft()
                if m.state:  # deleted or received again since it was queued: skipped lazily
                    continue
                popped += 1
                if limit is not None and m.receives >= limit:
                    m.state = DONE
                    redrive.append(m)
                    continue
                m.receives += 1
                m.state = IN_FLIGHT
                m.holder = receipt
                append(m)
                got += 1
            if g is not None:
                self.group_in_flight[g] += got - before
                if not queue:
                    del self.fifo_visible[g]
            if got >= room:
                break
        self.visible_count -= popped
        if redrive:
            self.to_dlq(redrive)
        return taken

    def to_dlq(self, msgs: list[Item]) -> None:
        core = self.core
        for m in msgs:
            m.holder = None
        core.deliver(msgs, "dlq", "maxReceiveCount", **self.receive_counts(msgs))
        for m in msgs:
            core.fail(m, "maxReceiveCount")
        self.moved_to_dlq += len(msgs)
        core.outstanding -= len(msgs)
        core.settle()

    # -- pollers --------------------------------------------------------------------------------

    def add_poller(self) -> None:
        poller = Poller(len(self.pollers) + 1)
        self.pollers.append(poller)
        self.can_grow = len(self.pollers) < self.cap
        # Started at once, before anything else due now, as a SimPy process would have been.
        poller.callbacks = self.begin_callbacks
        env = self.env
        heappush(self.queue, (env._now, URGENT, next(env._eid), poller))

    def start_scaling(self) -> None:
        if self.takeable():
            self.scaling = True
            self.env.process(self.scale_up())

    def scale_up(self):
        """While messages wait, add a poller every 0.2 s up to the cap."""
        while len(self.pollers) < self.cap and self.takeable():
            yield self.env.timeout(SCALE_STEP_S)
            if self.takeable() and len(self.pollers) < self.cap:
                self.add_poller()
        self.scaling = False

    def receive(self, poller: Poller) -> int:
        room = self.batch_size - poller.count
        if room <= 0 or not self.visible_count:
            return 0
        receipt = Receipt(self.env._now + self.visibility_timeout_s)
        visible = self.visible
        head = visible[0] if visible else None
        if type(head) is Fresh and (len(visible) == 1 or head.end - head.n >= room):
            # The common receive, once per batch: `take` would take everything off the front run
            # of never-received messages (a standard queue's), skipping and redriving nothing.
            taken = receipt.msgs
            receipt.first = head.n
            count = head.receive(room, receipt, self.core, taken.append)
            if head.n == head.end:
                visible.popleft()
            self.visible_count -= count
        else:
            taken = self.take(room, receipt)
            if not taken:
                return 0
        poller.held.append(receipt)
        poller.count += len(taken)
        self.core.billing.received(poller.number, self.env._now)
        return len(taken)

    def offer(self) -> None:
        """Newly visible messages go to the idle pollers, one poller at a time."""
        receivers = self.receivers
        now = self.env._now
        while receivers and self.visible_count:
            poller = receivers[0]
            if not self.receive(poller):
                break
            if poller.count >= self.batch_size or now >= poller.window_end:
                receivers.popleft()
                self.wake(poller)
            else:
                # Still gathering: what it holds may need to lapse before its window ends.
                self.guard(poller, poller.window_end)
                break
        if not self.scaling and len(self.pollers) < self.cap and self.visible_count:
            self.start_scaling()

    def begin(self, poller: Poller) -> None:
        """A new poller's first step (where its SimPy process would have started)."""
        poller.window_end = self.env._now + self.window_s
        self.next_batch(poller)

    def next_batch(self, poller: Poller) -> None:
        """Start gathering a batch: receive what is visible, then wait or send."""
        poller.held = []
        poller.count = 0
        poller.state = "receiving"
        self.core.billing.listen(poller.number, self.env._now)
        self.receive(poller)
        self.gather(poller)

    def gather(self, poller: Poller) -> None:
        """Send the batch if it is full, or the window is over and it holds something; else wait
        among the receivers until `offer` or the window timer wakes it (it then comes back here)."""
        now = self.env._now
        if poller.count < self.batch_size and (now < poller.window_end or not poller.count):
            poller.waits += 1
            poller.woken = False
            self.receivers.append(poller)
            if now < poller.window_end:
                self.guard(poller, poller.window_end)
                self.env.process(self.window_timer(poller, poller.waits))
            return
        self.deliver(poller)

    def wake(self, poller: Poller) -> None:
        """End the poller's wait: it runs `gather` again once SimPy reaches it at this instant
        (where the succeeded wake event of a process would have been)."""
        poller.woken = True
        poller.callbacks = self.gather_callbacks
        env = self.env
        heappush(self.queue, (env._now, NORMAL, next(env._eid), poller))

    def window_timer(self, poller: Poller, wait: int):
        yield self.env.timeout(poller.window_end - self.env._now)
        if poller.waits == wait and not poller.woken and poller.count:
            self.receivers.remove(poller)
            self.wake(poller)

    def deliver(self, poller: Poller) -> None:
        """Invoke with the batch; a throttled batch backs off (see `back_off`)."""
        env = self.env
        core = self.core
        held = poller.held
        if len(held) == 1:
            items = held[0].msgs
            first = poller.first = held[0].first
        else:
            items = [m for receipt in held for m in receipt.msgs]
            first = poller.first = 0
        core.billing.stop_listening(poller.number, env._now)
        counts = None
        if self.redelivered and core.tracing and any(m.receives > 1 for m in items):
            counts = self.receive_counts(items)
        invocation = core.start(items, self.report, None, counts, None, first)
        if invocation is None:
            self.back_off(poller, items, counts)
        else:
            self.invoke(poller, invocation, counts)

    def invoke(self, poller: Poller, invocation: Invocation, counts: dict | None) -> None:
        """The batch runs; the poller is back on SimPy's queue when the invocation ends."""
        env = self.env
        # Without receive counts `start` wrote a compact row; a whole delete reuses its ids, or
        # names the same range.
        poller.ids = self.core.started_ids if counts is None and not poller.first else None
        poller.state = "invoking"
        self.batches_in_flight += 1
        self.guard(poller, env._now + invocation.total_s)
        poller.invocation = invocation
        poller.callbacks = self.ended_callbacks
        heappush(self.queue, (env._now + invocation.total_s, NORMAL, next(env._eid), poller))

    def ended(self, poller: Poller) -> None:
        """The batch's invocation is over: settle its messages, then gather the next batch."""
        env = self.env
        core = self.core
        invocation = poller.invocation
        assert invocation is not None  # set by `invoke` before the poller was queued
        poller.invocation = None
        held = poller.held
        core.finish(invocation)
        self.batches_in_flight -= 1
        if invocation.failed is None:
            deleted, unlocked = self.settle_success(held)
        else:
            deleted, unlocked = self.settle_failure(held, invocation.failed)
        if deleted:
            self.deleted += len(deleted)
            core.billing.deleted(len(deleted))
            if core.tracing:
                # Deleted whole (the common case): the same messages in the same order as the
                # batch's `invoke_start`, so its range or ids string is written again rather than
                # rebuilt.
                whole = len(deleted) == len(invocation.items)
                if whole and poller.first:
                    first = poller.first
                    core.rows.extend((DELETE_RANGE, env._now, range(first, first + len(deleted))))
                else:
                    ids = poller.ids
                    if ids is None or not whole:
                        ids = ",".join([m.id for m in deleted])
                    core.rows.extend((DELETE, env._now, ids))
            core.outstanding -= len(deleted)
            core.settle()
        if unlocked:
            self.offer()
        self.next_window(poller)

    def next_window(self, poller: Poller) -> None:
        poller.window_end = self.env._now + self.window_s
        self.next_batch(poller)

    def back_off(self, poller: Poller, items: list[Item], counts: dict | None) -> None:
        """A throttled batch: retried after 1 s, 2 s, 4 s ... while its messages stay invisible,
        until it runs (`invoke`) or the poller lets it go back to the queue (`next_window` once
        its visibility timeout has lapsed).

        The batch stays with its poller until its visibility timeout lapses: the poller takes no
        other batch meanwhile, so throttling cannot make the pollers drain the queue into batches
        that only wait."""
        poller.backoff = BACKOFF_FIRST_S
        poller.state = "backing_off"
        poller.items = items
        poller.counts = counts
        poller.invisible_until = min(r.deadline for r in poller.held)
        self.throttled(poller)

    def throttled(self, poller: Poller) -> None:
        env = self.env
        now = env._now
        at = now + poller.backoff
        invisible_until = poller.invisible_until
        if at >= invisible_until:
            poller.items = []
            poller.counts = None
            self.let_lapse(poller, "visibility_timeout")
            if invisible_until > now:
                poller.callbacks = self.lapsed_callbacks
                heappush(self.queue, (now + (invisible_until - now), NORMAL, next(env._eid), poller))
            else:
                self.next_window(poller)
            return
        self.core.retry(poller.items, "throttle", at, **self.receive_counts(poller.items))
        poller.callbacks = self.retry_callbacks
        heappush(self.queue, (now + poller.backoff, NORMAL, next(env._eid), poller))

    def retry_batch(self, poller: Poller) -> None:
        """A throttled batch's backoff is over: try it again."""
        poller.backoff = min(poller.backoff * 2, BACKOFF_MAX_S)
        invocation = self.core.start(poller.items, self.report, None, poller.counts, None, poller.first)
        if invocation is None:
            self.throttled(poller)
            return
        counts = poller.counts
        poller.items = []
        poller.counts = None
        self.invoke(poller, invocation, counts)

    def settle_success(self, held: list[Receipt]) -> tuple[list[Item], bool]:
        """Every message succeeded: the current receipts delete theirs. Returns the deleted
        messages and whether a FIFO group was unlocked. The common case, once per batch, so the
        bookkeeping of `Core.succeed` and `delete` is written out here rather than called per message."""
        core = self.core
        now = self.env._now
        latencies = core.latencies
        fifo = self.fifo
        if not self.redelivered and not fifo:
            # No message has come back to the queue yet: each was received once, by this receipt,
            # and is in flight under it, so each succeeds for the first time and is deleted.
            for receipt in held:
                for m in receipt.msgs:
                    m.outcome = SUCCEEDED
                    latencies.append(now - m.t)
                    m.state = DONE
                    m.holder = None  # no cycle message <-> receipt once it is gone
            deleted = held[0].msgs if len(held) == 1 else [m for receipt in held for m in receipt.msgs]
            core.succeeded += len(deleted)
            return deleted, False
        deleted = []
        unlocked = False
        succeeded = 0
        for receipt in held:
            for m in receipt.msgs:
                if m.outcome is None:
                    m.outcome = SUCCEEDED
                    latencies.append(now - m.t)
                    succeeded += 1
                state = m.state
                if state != DONE and m.holder is receipt:
                    if state == VISIBLE:
                        self.visible_count -= 1
                    elif fifo:
                        in_flight = self.group_in_flight[m.group] = self.group_in_flight[m.group] - 1
                        unlocked = unlocked or not in_flight
                    m.state = DONE
                    m.holder = None  # no cycle message <-> receipt once it is gone
                    deleted.append(m)
        core.succeeded += succeeded
        return deleted, unlocked

    def settle_failure(self, held: list[Receipt], failed: list[Item]) -> tuple[list[Item], bool]:
        """Some or all messages failed: the others are deleted, the failed ones come back at their
        visibility deadline. Returns the deleted messages and whether a FIFO group was unlocked."""
        core = self.core
        now = self.env._now
        failed_ids = {id(m) for m in failed}
        deleted: list[Item] = []
        unlocked = False
        for receipt in held:
            back = []
            for m in receipt.msgs:
                current = m.holder is receipt
                if id(m) in failed_ids:
                    if current and m.state == IN_FLIGHT:
                        back.append(m)
                    continue
                core.succeed(m)
                if current and m.state != DONE:
                    unlocked = self.delete(m) or unlocked
                    deleted.append(m)
            if back:
                core.retry(back, "function_error", max(receipt.deadline, now), **self.receive_counts(back))
                self.env.process(self.visibility_timeout(receipt.deadline, back, None))
        return deleted, unlocked

    def delete(self, m: Item) -> bool:
        """DeleteMessage with a current receipt: whether that unlocked the message's FIFO group."""
        unlocked = False
        if m.state == VISIBLE:
            self.visible_count -= 1
        elif self.fifo:
            in_flight = self.group_in_flight[m.group] = self.group_in_flight[m.group] - 1
            unlocked = not in_flight
        m.state = DONE
        m.holder = None
        return unlocked

    def receive_counts(self, msgs: list[Item]) -> dict:
        """The trace's receive numbers for these messages: how often each was received so far."""
        counts: dict = {"receive_counts": [m.receives for m in msgs]}
        if self.max_receive_count is not None:
            counts["max_receive_count"] = self.max_receive_count
        return counts

    # -- visibility -----------------------------------------------------------------------------

    def guard(self, poller: Poller, until: float) -> None:
        """Schedule the lapse of every receipt whose deadline comes before the poller's next step."""
        for receipt in poller.held:
            if not receipt.guarded and receipt.deadline < until:
                receipt.guarded = True
                self.env.process(self.visibility_timeout(receipt.deadline, receipt, "visibility_timeout"))

    def let_lapse(self, poller: Poller, reason: str) -> None:
        """The poller gives its batch up; the messages return at their visibility deadlines."""
        for receipt in poller.held:
            if receipt.guarded:
                continue
            receipt.guarded = True
            back = [m for m in receipt.msgs if m.holder is receipt and m.state == IN_FLIGHT]
            if back:
                self.core.retry(back, reason, receipt.deadline, **self.receive_counts(back))
                self.env.process(self.visibility_timeout(receipt.deadline, back, None))

    def visibility_timeout(self, deadline: float, what, announce: str | None):
        """At the deadline, messages still invisible under this receive become visible again."""
        if deadline > self.env._now:
            yield self.env.timeout(deadline - self.env._now)
        if isinstance(what, Receipt):
            back = [m for m in what.msgs if m.holder is what and m.state == IN_FLIGHT]
        else:
            back = [m for m in what if m.state == IN_FLIGHT]
        if back:
            if announce is not None:
                self.core.retry(back, announce, self.env._now, **self.receive_counts(back))
            self.make_visible(back)

    # -- reading --------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        states = [p.state for p in self.pollers]
        snap = {
            "visible": self.visible_count,
            "in_flight": self.core.outstanding - self.visible_count,
            "pollers": len(self.pollers),
            "pollers_receiving": states.count("receiving"),
            "batches_in_flight": self.batches_in_flight,
            "batches_backing_off": states.count("backing_off"),
            "dlq": self.moved_to_dlq,
            "deleted": self.deleted,
            "max_queue_depth": self.max_queue_depth,
        }
        if self.fifo:
            snap["groups_in_flight"] = sum(1 for count in self.group_in_flight if count)
        return snap

    def stage_items(self, limit: int) -> dict:
        """Which messages are where, for a flow view: the first `limit` visible messages, and each
        poller's batch (its state, size, first ids, visibility deadline). Computed on demand from
        the queue and the pollers, never kept; `returning` is what is in flight but held by no
        poller (a failed batch's messages waiting out their visibility timeout)."""
        visible: list[str] = []
        sources = self.fifo_visible.values() if self.fifo else (self.visible,)
        prefix = self.core.prefix
        for queue in sources:
            for m in queue:
                if len(visible) >= limit:
                    break
                if isinstance(m, Fresh):
                    visible.extend(
                        f"{prefix}-{n}" for n in range(m.n, min(m.end, m.n + limit - len(visible)))
                    )
                elif m.state == VISIBLE:
                    visible.append(m.id)
        batches = []
        held_total = 0
        for poller in self.pollers:
            msgs = [m for r in poller.held for m in r.msgs if m.holder is r and m.state == IN_FLIGHT]
            if not msgs:
                continue
            held_total += len(msgs)
            batches.append(
                {
                    "poller": poller.number,
                    "state": poller.state,
                    "count": len(msgs),
                    "items": [m.id for m in msgs[:limit]],
                    "receives": max(m.receives for m in msgs),
                    "deadline": t6(min(r.deadline for r in poller.held)),
                }
            )
        in_flight = self.core.outstanding - self.visible_count
        return {
            "visible": visible,
            "batches": batches,
            "in_batches": held_total,
            "returning": in_flight - held_total,
        }

    def summary(self) -> dict:
        return {"max_queue_depth": self.max_queue_depth}
