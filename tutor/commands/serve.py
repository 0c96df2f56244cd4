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


def checked_public_url(url: str) -> str:
    from urllib.parse import urlsplit

    allowed = "allowed: one http:// or https:// address such as https://tutor.example.org/"
    if any(character.isspace() for character in url):
        raise UserError(f"--public-url {url.strip()!r}: has spaces or line breaks; {allowed}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError as error:
        raise UserError(f"--public-url {url!r}: {error}; {allowed}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"--public-url {url!r}: not an http(s) address; {allowed}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise UserError(f"--public-url {url!r}: has a query, fragment or user name; {allowed}")
    return url


def checked_origin(origin: str) -> str:
    from tutor.workshop.serve import origin_of

    if origin_of(origin) is None or any(character.isspace() for character in origin):
        raise UserError(
            f"--allow-origin {origin!r}: allowed: scheme://host[:port], e.g. https://lms.example.org"
        )
    return origin


def run(args) -> int:
    try:
        # textual-serve and what it brings (aiohttp, jinja2) are the optional extra `serve`.
        from tutor.workshop.serve import TutorServer, default_max_sessions, is_loopback, raise_file_limit
    except ImportError:
        raise UserError(MISSING) from None
    host, port = args.host, args.port
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port}: allowed 1..65535")
    public_url = None if args.public_url is None else checked_public_url(args.public_url)
    origins = [checked_origin(origin) for origin in args.allow_origin]
    max_sessions = default_max_sessions() if args.max_sessions is None else args.max_sessions
    if max_sessions < 1:
        raise UserError(f"--max-sessions {max_sessions}: allowed 1 or more")
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
            + (
                "and holds a join code can join"
                if roster
                else "can join under a new name (PINs protect names; --roster lets in only yours)"
            ),
            file=sys.stderr,
        )
    takes = raise_file_limit(max_sessions)
    if takes < max_sessions:
        if takes < 1:
            raise UserError(
                "the open-file limit (ulimit -n) leaves room for no learner; raise it and start again"
            )
        print(
            f"lambda-tutor: the open-file limit (ulimit -n) leaves room for {takes} learners, "
            f"not {max_sessions}: taking {takes}; raise the limit for more",
            file=sys.stderr,
        )
        max_sessions = takes
    server = TutorServer(
        host,
        port,
        packs,
        public_url=public_url,
        max_sessions=max_sessions,
        allowed_origins=origins,
        roster=roster,
    )
    try:
        server.serve()
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
    # The browser tab's token, passed again on each reconnect of that tab (checked by the server).
    parser.add_argument("--resume", metavar="TOKEN")
    args = parser.parse_args(argv)
    from tutor.workshop.watchdog import exit_when_orphaned

    exit_when_orphaned()
    try:
        from tutor.ui.app import LambdaTutorApp, Start

        app = LambdaTutorApp(
            extra_packs=args.content, start=Start.served(roster=args.roster, resume_token=args.resume)
        )
        app.run()
    except UserError as error:
        print(f"lambda-tutor: {error}", file=sys.stderr)
        return error.exit_status
    return int(app.return_code or 0)


if __name__ == "__main__":
    raise SystemExit(session_main())
