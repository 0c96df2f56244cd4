"""`lambda-tutor` with no subcommand: open the course in the terminal.

Textual is imported here and only here among the commands, so every other subcommand starts
without it.
"""

from __future__ import annotations

from tutor.cli import require_terminal


def run(args) -> int:
    require_terminal()
    from tutor.ui.app import LambdaTutorApp

    app = LambdaTutorApp(profile=args.profile, extra_packs=args.content)
    app.run()
    return int(app.return_code or 0)
