"""`lambda-tutor quiz [MODULE] [--all | --review]`: open the app straight on a module's quiz (drawn,
or every question with --all) or the review."""

from __future__ import annotations

from tutor.cli import require_terminal
from tutor.errors import UserError


def run(args) -> int:
    module_id = getattr(args, "module", None)
    review = bool(getattr(args, "review", False))
    every_question = bool(getattr(args, "every_question", False))
    if review and module_id:
        raise UserError("give a MODULE or --review, not both")
    if review and every_question:
        raise UserError("--all asks every question of a module's quiz; the review asks what is due, not both")
    from tutor.ui.app import LambdaTutorApp, Start

    start = Start.quiz(module_id, review=review, every_question=every_question)
    app = LambdaTutorApp(args.profile, args.content, start=start)
    try:
        if not review:
            check_module(app.course, module_id)
        require_terminal()
    except UserError:
        app.store.close()
        raise
    app.run()
    return int(app.return_code or 0)


def check_module(course, module_id: str | None) -> None:
    """Refuse, before the app opens, a module that does not exist or has nothing to ask."""
    if not course.modules:
        raise UserError("the course has no modules, so there is no quiz to open")
    known = [module.id for module in course.modules]
    if module_id is not None and module_id not in known:
        raise UserError(f"unknown module {module_id!r}; choose one of: {', '.join(known)}")
    target = module_id or known[0]
    if not any(question.module == target for question in course.questions):
        raise UserError(f"module {target!r} has no quiz questions yet")
