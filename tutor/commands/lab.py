"""`lambda-tutor lab`: open the app straight on the lab (the three models side by side)."""

from __future__ import annotations

from tutor.cli import require_terminal


def run(args) -> int:
    require_terminal()
    from tutor.ui.app import LambdaTutorApp, Start

    app = LambdaTutorApp(args.profile, args.content, start=Start.lab())
    app.run()
    return int(app.return_code or 0)
