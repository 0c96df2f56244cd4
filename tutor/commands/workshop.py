"""`lambda-tutor workshop report`: what every learner in the shared store has done (never imports Textual)."""

from __future__ import annotations

import sys

from tutor.errors import UserError


def run(args) -> int:
    action = getattr(args, "workshop_command", None)
    if action != "report":
        raise UserError("workshop: choose an action: report (see lambda-tutor workshop --help)")
    return report(args.format, getattr(args, "content", []))


def report(form: str, packs) -> int:
    from tutor.content.loader import load_course_or_fail
    from tutor.progress.store import open_store
    from tutor.workshop.report import build_report, rich_table, write_csv, write_json

    course = load_course_or_fail(packs)
    with open_store() as store:
        if store.notice:
            # stderr, so that CSV or JSON on stdout stays a valid document.
            print(f"lambda-tutor: {store.notice}", file=sys.stderr)
        rows = build_report(store, course)
    if form == "json":
        write_json(rows, course, sys.stdout)
    elif form == "csv":
        write_csv(rows, course, sys.stdout)
    else:
        from rich.console import Console

        console = Console()
        if not rows:
            console.print("No learner has any progress in this store yet.")
            return 0
        console.print(rich_table(rows, course, console.width))
    return 0
