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
    from tutor.workshop.room import room_learners

    course = load_course_or_fail(packs)
    since_moment = reports.parse_since(since, utc_now()) if since else None
    scope = reports.course_scope(course, pack, since_moment)
    with open_store() as store:
        if store.notice:
            # stderr, so that CSV or JSON on stdout stays a valid document.
            print(f"lambda-tutor: {store.notice}", file=sys.stderr)
        learners = room_learners(store)
        if not learners:
            print(f"lambda-tutor: warning: the store {store.path} holds no learner yet", file=sys.stderr)
        if by == "exercise":
            exercise_rows = reports.build_exercise_report(store, course, scope, learners)
        elif by == "question":
            question_rows = reports.build_question_report(store, course, scope, learners)
        elif since_moment is None and pack is None:
            rows = reports.build_report(store, course)
        else:
            rows = reports.build_scoped_report(store, course, scope, learners)
    width = _terminal_width()
    if by == "exercise":
        reports.write_exercises(exercise_rows, form, sys.stdout, width)
    elif by == "question":
        reports.write_questions(question_rows, form, sys.stdout, width)
    elif form == "json":
        reports.write_json(rows, course, sys.stdout)
    elif form == "csv":
        reports.write_csv(rows, course, sys.stdout)
    else:
        from rich.console import Console

        console = Console()
        if not rows:
            console.print("No learner has any progress in this store yet.")
            return 0
        console.print(reports.rich_table(rows, course, console.width))
    return 0


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

    from tutor.locations import database_path
    from tutor.workshop.collect import RejectedExport, export_files, merge, read_export

    files = export_files([Path(target) for target in targets])
    if not files:
        raise UserError(f"workshop collect: no *.json export in {', '.join(targets)}")
    store_path = database_path()
    rejected = 0
    for path in files:
        try:
            merged = merge(store_path, read_export(path), path)
        except RejectedExport as error:
            print(f"lambda-tutor: rejected {error}", file=sys.stderr)
            rejected += 1
            continue
        added = ", ".join(f"{count} {kind}" for kind, count in merged.added.items())
        print(f"{path}: {merged.profile}: " + (f"added {added}" if added else "nothing new"))
    print(f"Collected {len(files) - rejected} of {len(files)} file(s) into {store_path}.")
    return 2 if rejected else 0


def reset(confirmed: bool) -> int:
    """Start a fresh room by moving the store aside: the old one is kept, its new path printed."""
    from tutor.locations import database_path
    from tutor.workshop.collect import move_store_aside

    store_path = database_path()
    if not confirmed:
        raise UserError(
            f"workshop reset moves the room's store {store_path} aside; nothing changed (add --yes to do it)"
        )
    if not store_path.exists():
        print(f"No store at {store_path}: the room is already empty.")
        return 0
    kept = move_store_aside(store_path)
    print(f"The room starts fresh. The previous store is kept at {kept}")
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
        raise UserError(f"workshop roster add: {twice!r} is given twice (names are compared ignoring case)")
    width = max(len(name) for name in shown)
    print("Give each learner their join code; it is needed once, at their first login.")
    for name in shown:
        code = new_join_code()
        learner = store.add_to_roster(name, hash_secret(code))
        print(f"  {learner.display_name:<{width}}  {code}")
    print("Codes are not stored, only their hashes: note them now (a reset prints a new one).")
    return 0


def roster_list(store) -> int:
    entries = store.roster()
    if not entries:
        print("The roster is empty: lambda-tutor workshop roster add NAME... puts learners on it.")
        return 0
    width = max(len(learner.display_name) for learner in entries)
    for learner in entries:
        if learner.joined_at is None:
            state = "not logged in yet"
        elif not learner.has_pin:
            state = "PIN reset: chooses a new one at next login (join code needed)"
        else:
            state = f"joined {learner.joined_at.astimezone():%Y-%m-%d %H:%M}"
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
