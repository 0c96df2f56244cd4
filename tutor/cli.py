"""Command line entry point.

Every subcommand's code lives in `tutor.commands.<name>` and is imported only when that
subcommand runs, so `--help`, `simulate`, `validate`, `progress` and `locate` never pay for
(or import) Textual. Only opening the app imports `tutor.ui`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from tutor import __version__
from tutor.errors import UserError

PROG = "lambda-tutor"
# textual-serve runs each browser's app with pipes for its input and output and this driver.
WEB_DRIVER = "textual.drivers.web_driver:WebDriver"


class OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; we promise one line and exit status 2."""

    def error(self, message: str):  # argparse calls this hook on every parse error
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def _add_pack_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    # On subcommands the defaults are suppressed so that `lambda-tutor --profile ann quiz`
    # keeps ann instead of the subparser resetting it to the default.
    default_profile = "default" if top_level else argparse.SUPPRESS
    default_content: list[str] | str = [] if top_level else argparse.SUPPRESS
    parser.add_argument(
        "--content",
        metavar="DIR",
        action="append",
        default=default_content,
        help="add an instructor pack (lessons, quizzes, scenarios, exercises) to the built-in course",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        default=default_profile,
        help="whose progress to use (default: default)",
    )


def _add_database_option(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    # Accepted before or after the subcommand, as instructors type it either way; suppressed on
    # subcommands so that `--database URL workshop report` keeps the URL given first.
    parser.add_argument(
        "--database",
        metavar="URL",
        default=None if top_level else argparse.SUPPRESS,
        help="keep progress in this PostgreSQL database (postgresql://USER:PASSWORD@HOST:PORT/NAME), "
        "e.g. for several serve hosts; default: $LAMBDA_TUTOR_DATABASE, else a SQLite file",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description="Learn how AWS Lambda functions get invoked: lessons, live simulations and quizzes.",
        epilog="Run without a command to open the course.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _add_pack_options(parser, top_level=True)
    _add_database_option(parser, top_level=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)

    p = sub.add_parser("validate", help="check the built-in course or a content pack")
    p.add_argument(
        "directory", nargs="?", metavar="DIR", help="a pack to check (default: the built-in course)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = sub.add_parser("progress", help="show, export or reset a learner's progress")
    _add_pack_options(p, top_level=False)
    p.add_argument("--export", choices=["json", "csv"], help="write every record to standard output")
    p.add_argument("--reset", action="store_true", help="forget this profile's progress (asks first)")
    p.add_argument("--yes", action="store_true", help="with --reset: do not ask")

    p = sub.add_parser("locate", help="where the data, the database and the content live")
    p.add_argument("--json", action="store_true", help="print the paths as JSON")

    p = sub.add_parser("simulate", help="run a scenario headless and print a report, JSON or a trace")
    _add_pack_options(p, top_level=False)
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="a scenario TOML file or a preset name")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one key, e.g. sqs.batch_size=25 (repeatable)",
    )
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--json", action="store_true", help="print the resolved scenario and the summary as JSON")
    p.add_argument("--trace", metavar="PATH", help="write the trace as JSON lines ('-' for standard output)")
    p.add_argument("--list", action="store_true", help="list the built-in presets")
    p.add_argument("--watch", action="store_true", help="open the scenario in a live simulation pane")

    p = sub.add_parser("lab", help="open the lab: the three models side by side")
    _add_pack_options(p, top_level=False)

    p = sub.add_parser("quiz", help="open a module's quiz, or your due reviews")
    _add_pack_options(p, top_level=False)
    p.add_argument("module", nargs="?", metavar="MODULE", help="module id (default: the first module)")
    p.add_argument("--review", action="store_true", help="the questions due for review")
    p.add_argument(
        "--all",
        action="store_true",
        dest="every_question",
        help="ask every question of the module, not a draw",
    )

    p = sub.add_parser(
        "serve",
        help="serve the app to browsers (textual-serve)",
        description="Serve the course to browsers, one app process per learner.",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 or :: for a room: "
        "the start-up lines list the addresses to hand out)",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the http(s) address learners open when a reverse proxy or TLS terminator is in front "
        "(e.g. https://tutor.example.org/); the page's addresses come from it, wss for https",
    )
    p.add_argument(
        "--max-sessions",
        metavar="N",
        type=int,
        help="learners at a time; the next one sees 'the room is full' until a seat frees up. "
        "Default: three quarters of this machine's cores / 7.9 %% (one learner's measured CPU share; "
        "18 on 2 cores), fewer if memory at 53 MiB each runs out first",
    )
    p.add_argument(
        "--allow-origin",
        metavar="ORIGIN",
        action="append",
        default=[],
        help="also take sessions from pages on this origin (e.g. https://lms.example.org); "
        "repeatable. The server's own page is always allowed",
    )
    p.add_argument(
        "--content", metavar="DIR", action="append", default=argparse.SUPPRESS, help="add an instructor pack"
    )
    _add_serve_roster_option(p)

    p = sub.add_parser("workshop", help="instructor tools")
    wsub = p.add_subparsers(dest="workshop_command", metavar="ACTION", parser_class=OneLineParser)
    _add_roster_parser(wsub)
    wp = wsub.add_parser("report", help="one row per learner: lessons, quiz scores, exercises")
    wp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    wp.add_argument(
        "--content", metavar="DIR", action="append", default=argparse.SUPPRESS, help="add an instructor pack"
    )
    _add_room_report_options(wp)
    _add_room_subcommands(wsub)
    _add_database_option_below(parser)
    return parser


# Neither checks nor shows a learner's store.
NO_STORE_COMMANDS = {"validate"}


def _add_database_option_below(parser: argparse.ArgumentParser) -> None:
    """Every subcommand (and its actions, and theirs) that opens the store takes --database too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                if name in NO_STORE_COMMANDS:
                    continue
                _add_database_option(subparser, top_level=False)
                _add_database_option_below(subparser)


def _add_room_report_options(report: argparse.ArgumentParser) -> None:
    report.add_argument(
        "--by",
        choices=["learner", "exercise", "question"],
        default="learner",
        help="one row per learner (default), per exercise or per quiz question",
    )
    report.add_argument(
        "--since",
        metavar="WHEN",
        help="only what was done since a UTC date or time (2026-12-05, 2026-12-05T09:00) "
        "or in the last while (90m, 2h, 3d)",
    )
    report.add_argument(
        "--pack",
        metavar="NAME",
        help="only the lessons, quizzes and exercises of one pack (its folder name, or built-in)",
    )


def _add_room_subcommands(wsub) -> None:
    wp = wsub.add_parser("watch", help="a live table of the room, refreshed from the store every few seconds")
    wp.add_argument(
        "--content", metavar="DIR", action="append", default=argparse.SUPPRESS, help="add an instructor pack"
    )
    wp.add_argument(
        "--every", type=float, default=3.0, metavar="SECONDS", help="seconds between reads (default 3)"
    )
    wp = wsub.add_parser(
        "collect", help="merge learners' progress exports (files or folders) into this store"
    )
    wp.add_argument(
        "targets", nargs="+", metavar="FILE|DIR", help="export files, or folders of *.json exports"
    )
    wp = wsub.add_parser("reset", help="start a fresh room: move this store aside (kept, never deleted)")
    wp.add_argument("--yes", action="store_true", help="do it (without it nothing changes)")


def _add_serve_roster_option(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--roster",
        action="store_true",
        help="let in only the names on the workshop roster; a first login needs the learner's join code",
    )


def _add_roster_parser(workshop: argparse._SubParsersAction) -> None:
    p = workshop.add_parser("roster", help="the workshop's list of learners, with their join codes")
    rsub = p.add_subparsers(dest="roster_command", metavar="ACTION", parser_class=OneLineParser)
    rp = rsub.add_parser("add", help="put learners on the roster and print each one's join code")
    rp.add_argument("names", nargs="+", metavar="NAME", help="a learner's name (quote names with spaces)")
    rsub.add_parser("list", help="who is on the roster, and who has logged in")
    rp = rsub.add_parser("reset", help="forget a learner's PIN so they choose a new one at next login")
    rp.add_argument("name", metavar="NAME")


def require_terminal() -> None:
    """Every command calls this just before it opens the app, once its own arguments have passed:
    without a terminal Textual's driver never gets a key and spins at half a core for ever."""
    if os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER:
        return
    missing = [name for name, stream in (("input", sys.stdin), ("output", sys.stdout)) if not _is_tty(stream)]
    if missing:
        raise UserError(
            f"the course needs a terminal (standard {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not one); "
            f"for headless use try: {PROG} simulate, validate, progress --export"
        )


def _is_tty(stream) -> bool:
    # A stream can be None (pythonw, a closed descriptor) or already closed.
    try:
        return stream is not None and stream.isatty()
    except ValueError:
        return False


def _dispatch(args: argparse.Namespace) -> int:
    from tutor.locations import DATABASE_ENV, check_profile_name

    # ' Ann  Lee ' and 'Ann Lee' are one profile: every command gets the kept form.
    args.profile = check_profile_name(args.profile)
    if args.database is not None:
        # Through the environment, so that serve's per-browser sessions use the same database.
        os.environ[DATABASE_ENV] = args.database
    if os.environ.get(DATABASE_ENV):
        from tutor.progress.postgres import check_url

        check_url(os.environ[DATABASE_ENV])
    name = args.command or "app"
    module = importlib.import_module(f"tutor.commands.{name}")
    return int(module.run(args) or 0)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except UserError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `lambda-tutor simulate --trace - | head` closes the pipe early; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # last line of defence: no traceback reaches a user
        if os.environ.get("LAMBDA_TUTOR_DEBUG"):
            raise
        print(
            f"{PROG}: unexpected error: {type(error).__name__}: {error} "
            "(set LAMBDA_TUTOR_DEBUG=1 to see details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
