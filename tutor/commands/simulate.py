"""`lambda-tutor simulate`: run a scenario headless and print a report, JSON or a trace.

Never imports Textual: the report is Rich, built from `tutor.sim.report`'s plain rows.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tutor.errors import UserError


def _scenario_dirs(args) -> list[Path]:
    return [Path(pack) / "scenarios" for pack in (getattr(args, "content", None) or [])]


def run(args) -> int:
    from tutor.sim.scenario import list_presets, load_scenario

    search_dirs = _scenario_dirs(args)
    if args.list:
        from tutor.sim.chain import list_chains

        _print_presets(list_presets(search_dirs) + list_chains(search_dirs))
        return 0
    if not args.scenario:
        raise UserError(
            "simulate: name a scenario file or a preset (`lambda-tutor simulate --list` shows them)"
        )
    if args.json and args.trace == "-":
        raise UserError("--json and --trace - both write to standard output: give --trace a file path")
    from tutor.sim.chain import chain_source

    found = chain_source(args.scenario, search_dirs)
    if found is not None:
        return _run_chain(args, found, search_dirs)
    scenario = load_scenario(args.scenario, overrides=args.overrides, seed=args.seed, search_dirs=search_dirs)
    if args.watch:
        if args.json or args.trace:
            raise UserError("--watch opens a live pane: it does not combine with --json or --trace")
        # Only the live pane pays for Textual; the headless paths below never import it.
        from tutor.ui.screens.watch import run_watch

        return run_watch(scenario, args.scenario)

    from tutor.sim import report
    from tutor.sim._common import decode_rows, write_rows
    from tutor.sim.engine import Simulation

    # The run is streamed: its events are written and digested as they come and then dropped,
    # so memory does not grow with the trace. With --json alone nothing reads the events. The
    # trace file is written from the engine's compact rows, without a dict per event.
    wants_report = not args.json and args.trace != "-"
    simulation = Simulation(scenario, record_trace=bool(args.trace) or wants_report)
    digest = report.TraceDigest() if wants_report else None
    prefix = simulation.core.prefix
    with _trace_writer(args.trace) as write:
        for rows, first in simulation.stream_rows():
            if write is not None:
                write_rows(rows, prefix, first, write)
            if digest is not None:
                decode_rows(rows, prefix, first, digest.read)
    summary = simulation.summary()
    if args.json:
        document = {"scenario": scenario.resolved(), "summary": summary}
        sys.stdout.write(json.dumps(document, indent=2, allow_nan=False) + "\n")
    elif digest is not None:
        _print_report(args.scenario, scenario, digest, summary)
    return 0


def _run_chain(args, found: tuple[str, dict], search_dirs: list[Path]) -> int:
    """A chain: each stage in turn; its report, JSON or trace (each event tagged with its stage)."""
    from tutor.sim.chain import load_chain, run_chain

    where, data = found
    try:
        chain = load_chain(data, overrides=args.overrides, seed=args.seed)
    except UserError as error:
        raise UserError(f"{where}: {error}") from None
    if args.watch:
        if args.json or args.trace:
            raise UserError("--watch opens a live pane: it does not combine with --json or --trace")
        from tutor.ui.screens.watch import run_watch

        return run_watch(chain, args.scenario)
    with _trace_writer(args.trace) as write:
        on_event = None
        if write is not None:
            dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode

            def on_event(stage: str, event: dict) -> None:
                write(dumps({"stage": stage, **event}) + "\n")

        result = run_chain(chain, on_event)
    if args.json:
        document = {
            "scenario": chain.resolved(),
            "stages": [stage.as_json() for stage in result.stages],
            "end_to_end": result.end_to_end,
        }
        sys.stdout.write(json.dumps(document, indent=2, allow_nan=False) + "\n")
    elif args.trace != "-":
        _print_chain_report(args.scenario, chain, result)
    return 0


def _print_chain_report(source: str, chain, result) -> None:
    from rich.table import Table
    from rich.text import Text

    from tutor.sim import report
    from tutor.sim.scenario import show_value

    console = _console()
    name = Path(source).stem if source.endswith(".toml") else source
    heading = Text(name, style="bold")
    if chain.title:
        heading.append(f": {chain.title}")
    console.print(heading)
    hops = " -> ".join(
        (f"({stage.via}) " if stage.via else "") + f"{stage.name} [{stage.scenario.model}]"
        for stage in chain.stages
    )
    console.print(f"chain {hops} · seed {chain.seed} · until_s {show_value(chain.until_s)}", markup=False)
    if chain.description:
        console.print(Text(" ".join(chain.description.split()), style="italic"))
    # Short headers: the table fits 80 columns with every figure whole.
    table = Table(
        title="Stages (sent on: items handed to the next stage)", title_justify="left", pad_edge=False
    )
    for column in ("stage", "model", "items", "ok", "failed", "unfin.", "sent on", "p50", "p99"):
        table.add_column(column, justify="left" if column in ("stage", "model") else "right", no_wrap=True)
    for stage in result.stages:
        summary = stage.summary
        latency = dict(report.latency_row(summary))
        table.add_row(
            stage.name,
            stage.model,
            *(str(summary.get(key, 0)) for key in ("items", "succeeded", "failed", "unfinished")),
            str(stage.handed_on),
            latency["p50"],
            latency["p99"],
        )
    console.print(table)
    for stage in result.stages:
        console.print(f"{stage.name}: " + _facts_line(stage.model, stage.summary), markup=False)
        for line in report.downstream_and_billed_lines(stage.summary):
            console.print(f"{stage.name}: {line}", markup=False)
    console.print(chain_end_to_end_line(result.end_to_end), markup=False)


def chain_end_to_end_line(end_to_end: dict[str, Any]) -> str:
    from tutor.sim import report

    latency = dict(report.latency_row(end_to_end))
    return (
        f"end to end  {end_to_end['delivered']} of {end_to_end['items']} delivered · "
        f"{end_to_end['lost']} lost · p50 {latency['p50']} · p99 {latency['p99']} · max {latency['max']}"
    )


@contextmanager
def _trace_writer(destination: str | None) -> Iterator[Callable[[str], Any] | None]:
    """A function that appends text to the trace's destination (None: no trace asked for)."""
    if not destination:
        yield None
        return
    if destination == "-":
        yield sys.stdout.write
        sys.stdout.flush()
        return
    try:
        handle = open(destination, "w", encoding="utf-8")  # noqa: SIM115 - closed below, errors reworded
    except OSError as error:
        raise UserError(
            f"--trace {destination}: cannot write the trace ({error.strerror or error})"
        ) from None
    try:
        with handle:
            yield handle.write
    except OSError as error:
        raise UserError(
            f"--trace {destination}: cannot write the trace ({error.strerror or error})"
        ) from None


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _print_presets(rows: list[tuple[str, str, str, str]]) -> None:
    from rich.table import Table

    table = Table(title="Scenario presets (lambda-tutor simulate NAME)")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("model", no_wrap=True)
    table.add_column("title")
    for name, title, _description, model in rows:
        table.add_row(name, model, title)
    _console().print(table)


def _print_report(source: str, scenario, digest, summary: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    from tutor.sim import report
    from tutor.sim.scenario import show_value

    console = _console()
    resolved = scenario.resolved()
    name = Path(source).stem if source.endswith(".toml") else source
    heading = Text(name, style="bold")
    if scenario.title:
        heading.append(f": {scenario.title}")
    console.print(heading)
    console.print(
        f"model {scenario.model} · seed {scenario.seed} · until_s {show_value(scenario.until_s)} · "
        f"ran {report.format_time(float(summary.get('sim_time_s', 0)))} of simulated time",
        markup=False,
    )
    if scenario.description:
        # What the preset shows and what to look for: the same words a lesson's pane is built on.
        console.print(Text(" ".join(scenario.description.split()), style="italic"))

    changed = report.changed_params(resolved)
    faults = resolved.get("function", {}).get("faults", [])
    if changed or faults:
        table = Table(title="Parameters that differ from the defaults", title_justify="left")
        table.add_column("key", no_wrap=True)
        table.add_column("value")
        table.add_column("default")
        table.add_column("AWS name", overflow="fold")
        for key, value, default, aws_name in changed:
            table.add_row(key, show_value(value), show_value(default), aws_name)
        for index, fault in enumerate(faults):
            table.add_row(
                f"function.faults[{index}]",
                f"{fault['item']}: {fault['kind']} ({fault['attempts']} attempts)",
                "",
                "",
            )
        console.print(table)
    else:
        console.print("All parameters at their defaults.")

    outcome = Table(title="Outcome", title_justify="left")
    outcome.add_column("items")
    outcome.add_column("count", justify="right")
    for label, count in report.outcome_rows(summary, []):
        outcome.add_row(label, str(count))
    outcome.add_row("[dim]total[/dim]", f"[dim]{summary.get('items', 0)}[/dim]")
    console.print(outcome)

    console.print(_facts_line(scenario.model, summary))
    console.print("latency  " + "  ".join(f"{label} {value}" for label, value in report.latency_row(summary)))
    for line in report.downstream_and_billed_lines(summary):
        console.print(line, markup=False)

    end = max(float(summary.get("sim_time_s", 0)), 1e-9)
    chart = Table(
        title=f"Over time (0 to {report.format_time(end)})", title_justify="left", show_header=False
    )
    chart.add_column("what")
    chart.add_column("chart", no_wrap=True)
    chart.add_column("peak", justify="right")
    for label, line, peak in digest.charts(scenario.model, end):
        chart.add_row(label, line, f"max {show_value(round(peak, 1))}")
    console.print(chart)

    events = Table(title="Timeline: first and last events", title_justify="left", show_header=False)
    events.add_column("t", justify="right", no_wrap=True)
    events.add_column("event")
    for time, words in digest.timeline():
        events.add_row(time, words)
    console.print(events)


def _facts_line(model: str, summary: dict[str, Any]) -> str:
    parts = [
        f"{summary.get(key, 0)} {label}"
        for key, label in (
            ("invocations", "invocations"),
            ("cold_starts", "cold starts"),
            ("throttles", "throttles"),
            ("max_concurrency", "max concurrency"),
            ("duplicates", "duplicates"),
            ("dropped", "dropped"),
        )
    ]
    destinations = summary.get("destinations") or {}
    parts += [f"{count} to {target}" for target, count in destinations.items() if count]
    if model == "sync":
        responses = summary.get("responses") or {}
        parts += [f"{count} × {status}" for status, count in sorted(responses.items())]
    for key, label in (
        ("max_event_age_s", "max event age"),
        ("max_queue_depth", "max queue depth"),
        ("max_iterator_age_s", "max iterator age"),
    ):
        if key in summary:
            value = summary[key]
            parts.append(
                f"{label} {round(value, 1) if isinstance(value, float) else value}"
                + (" s" if key.endswith("_s") else "")
            )
    return " · ".join(parts)
