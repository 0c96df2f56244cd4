"""`lambda-tutor workshop`: the instructor's tools over the shared store (only `watch` imports Textual)."""

from __future__ import annotations

import sys

from tutor.errors import UserError

ACTIONS = ("report", "watch", "collect", "reset", "roster")


def run(args) -> int:
    action = getattr(args, "workshop_command", None)
    packs = getattr(args, "content", [])
    if action == "roster":
        return roster(args)
    if action == "report":
        return report(
            args.format,
            packs,
            by=getattr(args, "by", "learner"),
            since=getattr(args, "since", None),
            pack=getattr(args, "pack", None),
        )
    if action == "watch":
        return watch(packs, args.every)
    if action == "collect":
        return collect(args.targets)
    if action == "reset":
        return reset(args.yes)
    raise UserError(f"workshop: choose an action: {', '.join(ACTIONS)} (see lambda-tutor workshop --help)")


def report(
    form: str, packs, *, by: str = "learner", since: str | None = None, pack: str | None = None
) -> int:
    from tutor.content.loader import load_course_or_fail
    from tutor.progress.store import open_store, utc_now
    from tutor.workshop import report as reports
    from tutor.workshop.room import read_room

    course = load_course_or_fail(packs)
    since_moment = reports.parse_since(since, utc_now()) if since else None
    scope = reports.course_scope(course, pack, since_moment)
    with open_store() as store:
        # Notes go to stderr, so that CSV or JSON on stdout stays a valid document.
        if store.notice:
            print(f"lambda-tutor: {store.notice}", file=sys.stderr)
        room = read_room(store)
        learners = room.learners
        if not learners:
            print(f"lambda-tutor: warning: the store {store.location} holds no learner yet", file=sys.stderr)
        unknown = reports.unknown_note(reports.unknown_ids(store, course, learners))
        if unknown:
            print(f"lambda-tutor: {unknown}", file=sys.stderr)
        if by == "exercise":
            exercise_rows = reports.build_exercise_report(store, course, scope, learners)
        elif by == "question":
            question_rows = reports.build_question_report(store, course, scope, learners)
        elif since_moment is None and pack is None:
            rows = reports.build_report(store, course, learners)
        else:
            rows = reports.build_scoped_report(store, course, scope, learners)
    not_joined = f"not joined yet (on the roster): {', '.join(room.not_joined)}" if room.not_joined else ""
    if by == "exercise":
        reports.write_exercises(
            exercise_rows, form, sys.stdout, _terminal_width(), learners_in_room=len(learners)
        )
    elif by == "question":
        reports.write_questions(question_rows, form, sys.stdout, _terminal_width())
    elif form == "json":
        reports.write_json(rows, course, sys.stdout, room.not_joined)
        return 0  # the document lists them itself
    elif form == "csv":
        reports.write_csv(rows, course, sys.stdout)
    else:
        _print_table(rows, course, not_joined)
        return 0
    if not_joined:
        print(f"lambda-tutor: {not_joined}", file=sys.stderr)
    return 0


def _print_table(rows, course, footnote: str) -> None:
    from rich.console import Console

    from tutor.workshop import report as reports

    console = Console()
    if rows:
        console.print(reports.rich_table(rows, course, console.width))
    else:
        console.print("No learner has joined or has any progress in this store yet.", highlight=False)
    if footnote:
        console.print(footnote, highlight=False)


def _terminal_width() -> int:
    from rich.console import Console

    return Console().width


def watch(packs, every_s: float) -> int:
    if not 0.5 <= every_s <= 600:
        raise UserError(f"--every {every_s:g}: choose from 0.5 to 600 seconds")
    from tutor.cli import require_terminal

    require_terminal()
    from tutor.ui.app import LambdaTutorApp, Start

    LambdaTutorApp(start=Start.room(packs=list(packs), refresh_s=every_s)).run()
    return 0


def collect(targets: list[str]) -> int:
    """Merge every export named; a rejected file is one line on stderr, the others still merge."""
    from pathlib import Path

    from tutor.progress.store import open_store, utc_now
    from tutor.workshop.collect import ReplayClock, RejectedExport, export_files, merge, read_export

    files = export_files([Path(target) for target in targets])
    if not files:
        raise UserError(f"workshop collect: no *.json export in {', '.join(targets)}")
    rejected = 0
    clock = ReplayClock(utc_now())
    # The room's store, wherever it is: the SQLite file, or PostgreSQL with --database.
    with open_store(clock=clock) as store:
        if store.notice:
            print(f"lambda-tutor: {store.notice}", file=sys.stderr)
        for path in files:
            try:
                merged = merge(store, clock, read_export(path), path)
            except RejectedExport as error:
                print(f"lambda-tutor: rejected {error}", file=sys.stderr)
                rejected += 1
                continue
            added = merged.described()
            print(f"{path}: {merged.profile}: " + (f"added {added}" if added else "nothing new"))
        location = store.location
    print(f"Collected {len(files) - rejected} of {len(files)} file(s) into {location}.")
    return 2 if rejected else 0


def reset(confirmed: bool) -> int:
    """Start a fresh room, keeping the old one: a SQLite store is renamed, a PostgreSQL one's tables
    are copied into a schema of their own and emptied."""
    from tutor.locations import database_path, database_url

    url = database_url()
    if url is not None:
        return _reset_postgres(url, confirmed)
    store_path = database_path()
    if not confirmed:
        raise UserError(
            f"workshop reset moves the room's store {store_path} aside; nothing changed (add --yes to do it)"
        )
    if not store_path.exists():
        print(f"No store at {store_path}: the room is already empty.")
        return 0
    from tutor.workshop.collect import move_store_aside

    kept = move_store_aside(store_path)
    print(f"The room starts fresh. The previous store is kept at {kept}")
    return 0


def _reset_postgres(url: str, confirmed: bool) -> int:
    from tutor.progress.postgres import masked_url
    from tutor.progress.store import open_store
    from tutor.workshop.collect import copy_room_aside

    if not confirmed:
        raise UserError(
            f"workshop reset copies the room's tables in {masked_url(url)} into a schema of their own "
            "and empties them; nothing changed (add --yes to do it)"
        )
    with open_store(url) as store:
        schema, kept = copy_room_aside(store)
    print(
        f"The room starts fresh. The previous room's {kept} rows are kept in schema {schema} "
        f"of {masked_url(url)}"
    )
    return 0


# The roster ---------------------------------------------------------------------------------------

ROSTER_ACTIONS = "add, list, reset"


def roster(args) -> int:
    """`workshop roster add NAME...`, `list`, `reset NAME`: who may join `serve --roster`."""
    from tutor.progress.store import open_store

    action = getattr(args, "roster_command", None)
    if action not in ("add", "list", "reset"):
        raise UserError(f"workshop roster: choose an action: {ROSTER_ACTIONS} (see --help)")
    with open_store() as store:
        if store.notice:
            print(f"lambda-tutor: {store.notice}", file=sys.stderr)
        if action == "add":
            return roster_add(store, args.names)
        if action == "list":
            return roster_list(store)
        return roster_reset(store, args.name)


def roster_add(store, names: list[str]) -> int:
    from tutor.locations import check_profile_name, name_key
    from tutor.progress.credentials import hash_secret, new_join_code

    # Every name is checked before any is written: a typo in the fifth leaves the first four out too.
    shown = [check_profile_name(name) for name in names]
    keys = [name_key(name) for name in shown]
    twice = next((name for name, key in zip(shown, keys, strict=True) if keys.count(key) > 1), None)
    if twice is not None:
        raise UserError(
            f"workshop roster add: {twice!r} is given twice (names are compared ignoring case and accents)"
        )
    width = max(len(name) for name in shown)
    print("Give each learner their join code; it is needed once, at their first login.")
    for name in shown:
        code = new_join_code()
        learner = store.add_to_roster(name, hash_secret(code))
        print(f"  {learner.display_name:<{width}}  {code}")
    print("Codes are not stored, only their hashes: note them now (a reset prints a new one).")
    return 0


def roster_list(store) -> int:
    from datetime import UTC

    entries = store.roster()
    if not entries:
        print("The roster is empty: lambda-tutor workshop roster add NAME... puts learners on it.")
        return 0
    width = max(len(learner.display_name) for learner in entries)
    for learner in entries:
        if learner.joined_at is None:
            state = "not logged in yet"
        elif not learner.has_pin:
            # After a PIN reset, or collected from a laptop export before ever logging in here.
            state = "no PIN now: chooses one at next login (join code needed)"
        else:
            # UTC, as every report and the watch say times: one clock for the whole room.
            state = f"joined {learner.joined_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        print(f"{learner.display_name:<{width}}  {state}")
    return 0


def roster_reset(store, name: str) -> int:
    from tutor.locations import check_profile_name
    from tutor.progress.credentials import hash_secret, new_join_code

    check_profile_name(name)
    learner = store.learner(name)
    if learner is None:
        raise UserError(f"workshop roster reset: no learner {name!r} has logged in or is on the roster")
    code = new_join_code() if learner.on_roster else None
    store.reset_pin(name, hash_secret(code) if code else None)
    print(f"{learner.display_name}'s PIN is forgotten: they choose a new one at their next login.")
    if code:
        print(f"Their new join code: {code}")
    return 0


def require_roster() -> None:
    """`serve --roster` with nobody on the roster would turn every learner away."""
    from tutor.progress.store import open_store

    with open_store() as store:
        if not store.roster():
            raise UserError(
                "serve --roster: the roster is empty; add learners first: "
                "lambda-tutor workshop roster add NAME..."
            )
