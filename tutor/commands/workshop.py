"""`lambda-tutor workshop report`: what every learner in the shared store has done (never imports Textual)."""

from __future__ import annotations

import sys

from tutor.errors import UserError


def run(args) -> int:
    action = getattr(args, "workshop_command", None)
    if action == "roster":
        return roster(args)
    if action != "report":
        raise UserError("workshop: choose an action: report, roster (see lambda-tutor workshop --help)")
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
