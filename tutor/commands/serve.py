"""`lambda-tutor serve`: the course in browsers, one app process per browser session.

The server side never imports Textual. Each browser session runs this module as a program
(`python -m tutor.commands.serve --session`), which is the app: it asks for the learner's name,
uses it as the profile, and ends itself when its browser is gone.
"""

from __future__ import annotations

import argparse
import sys

from tutor.errors import UserError

MISSING = "browser mode needs textual-serve, which is not installed: pip install 'lambda-tutor[serve]'"


def run(args) -> int:
    try:
        # textual-serve and what it brings (aiohttp, jinja2) are the optional extra `serve`.
        from tutor.workshop.serve import TutorServer, is_loopback
    except ImportError:
        raise UserError(MISSING) from None
    host, port = args.host, args.port
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port}: allowed 1..65535")
    packs = list(getattr(args, "content", []) or [])
    # A bad pack is one line here, before any browser connects, not a broken page per learner.
    from tutor.content.loader import load_course_or_fail

    load_course_or_fail(packs)
    roster = bool(getattr(args, "roster", False))
    if roster:
        from tutor.commands.workshop import require_roster

        require_roster()
    if not is_loopback(host):
        print(
            f"lambda-tutor: warning: serving on {host}, not loopback: anyone who can reach this address "
            "can open the course under any learner's name",
            file=sys.stderr,
        )
    try:
        TutorServer(host, port, packs, roster=roster).serve()
    except OSError as error:
        raise UserError(
            f"cannot listen on {host}:{port}: {error.strerror or error}; choose another --port"
        ) from None
    return 0


def session_main(argv: list[str] | None = None) -> int:
    """One browser session: the app, asking the learner's name first."""
    parser = argparse.ArgumentParser(prog="lambda-tutor serve --session")
    parser.add_argument("--session", action="store_true", required=True)
    parser.add_argument("--content", action="append", default=[])
    parser.add_argument("--roster", action="store_true")
    args = parser.parse_args(argv)
    from tutor.workshop.watchdog import exit_when_orphaned

    exit_when_orphaned()
    try:
        from tutor.ui.app import LambdaTutorApp, Start

        app = LambdaTutorApp(extra_packs=args.content, start=Start.served(roster=args.roster))
        app.run()
    except UserError as error:
        print(f"lambda-tutor: {error}", file=sys.stderr)
        return error.exit_status
    return int(app.return_code or 0)


if __name__ == "__main__":
    raise SystemExit(session_main())
