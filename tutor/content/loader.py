"""Turn the built-in course and instructor packs into a `Course`, collecting every problem.

A pack is data only: nothing in it is executed, no path in it may reach outside it, files over
1 MB and packs over 2,000 files are refused. Loading never raises on bad content; each problem
names the file, the line where known, and the field, so an instructor can fix a pack in one pass.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tutor.content.exercises import parse_exercise
from tutor.content.models import (
    Course,
    CourseSpec,
    GlossaryFile,
    GlossaryTerm,
    Lesson,
    LessonPrediction,
    LessonSpec,
    Module,
    Problem,
    Service,
    ServicesFile,
    SourceFile,
    TryStep,
    report_validation_error,
)
from tutor.content.questions import check_questions, parse_questions
from tutor.errors import UserError

MAX_FILE_BYTES = 1024 * 1024
MAX_PACK_FILES = 2000
FRONT_MATTER_FENCE = "+++"
_TOML_LINE = re.compile(r"at line (\d+)")

Spec = TypeVar("Spec", bound=BaseModel)


class PackReader:
    """Reads files of one pack, refusing anything that escapes it or is too big to be content."""

    def __init__(self, root: Path, label: str, problems: list[Problem]):
        self.root = root
        self.label = label
        self.problems = problems
        self._resolved_root = root.resolve()

    def display(self, path: Path) -> str:
        try:
            relative = path.relative_to(self.root).as_posix()
        except ValueError:
            relative = path.as_posix()
        return f"{self.label}/{relative}"

    def problem(self, file: str, line: int | None, field: str, message: str) -> None:
        self.problems.append(Problem(file, line, field, message))

    def inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self._resolved_root)
        except ValueError:
            return False
        return True

    def resolve(self, relative: str, *, file: str, line: int | None, field: str) -> Path | None:
        """A path written in the pack: relative, without `..`, and still inside once links resolve."""
        candidate = Path(relative)
        if candidate.is_absolute() or relative.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", relative):
            self.problem(
                file, line, field, f"{relative!r} is an absolute path; paths must stay inside the pack"
            )
            return None
        if ".." in candidate.parts:
            self.problem(file, line, field, f"{relative!r} reaches outside the pack ('..' is not allowed)")
            return None
        path = self.root / candidate
        if not self.inside(path):
            self.problem(file, line, field, f"{relative!r} leads outside the pack (through a link)")
            return None
        return path

    def read(self, path: Path, field: str = "file") -> SourceFile | None:
        shown = self.display(path)
        if not self.inside(path):
            self.problem(shown, None, field, "this file is a link that leads outside the pack")
            return None
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            self.problem(shown, None, field, "file not found")
            return None
        except OSError as error:
            self.problem(shown, None, field, f"cannot read: {error.strerror or error}")
            return None
        if size > MAX_FILE_BYTES:
            self.problem(shown, None, field, f"file is {size:,} bytes; content files may be at most 1 MB")
            return None
        try:
            raw = path.read_bytes()
        except OSError as error:
            self.problem(shown, None, field, f"cannot read: {error.strerror or error}")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            self.problem(shown, line, field, "file is not UTF-8 text")
            return None
        return SourceFile(path=path, display=shown, text=text.lstrip("\ufeff"))

    def parse_toml(self, source: SourceFile, text: str | None = None) -> dict[str, Any] | None:
        try:
            return tomllib.loads(source.text if text is None else text)
        except tomllib.TOMLDecodeError as error:
            message = str(error)
            match = _TOML_LINE.search(message)
            line = int(match.group(1)) + source.line_offset if match else None
            reason = _TOML_LINE.sub("", message).replace("()", "").strip(" (),")
            self.problem(source.display, line, "toml", f"unreadable TOML: {reason}")
            return None

    def validate(
        self, model: type[Spec], data: dict[str, Any], source: SourceFile, prefix: tuple[Any, ...] = ()
    ) -> Spec | None:
        try:
            return model.model_validate(data)
        except ValidationError as error:
            report_validation_error(error, source, self.problems, prefix)
            return None


def split_front_matter(source: SourceFile, reader: PackReader) -> tuple[dict[str, Any], str] | None:
    lines = source.text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        reader.problem(
            source.display,
            1,
            "front matter",
            "a lesson must start with a +++ line, then TOML front matter, then +++",
        )
        return None
    for number in range(1, len(lines)):
        if lines[number].strip() == FRONT_MATTER_FENCE:
            header = "".join(lines[1:number])
            body = "".join(lines[number + 1 :]).strip("\n") + "\n"
            data = reader.parse_toml(SourceFile(source.path, source.display, header, 1))
            if data is None:
                return None
            return data, body
    reader.problem(source.display, 1, "front matter", "the front matter has no closing +++ line")
    return None


class _CourseBuilder:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.course = Course(title="AWS Lambda invocation models")
        self.lesson_files: dict[str, str] = {}
        self.scenario_lines: dict[str, int | None] = {}
        self.question_sources: list[tuple[PackReader, SourceFile, dict[str, Any]]] = []
        self.pack_counts: dict[Path, dict[str, int]] = {}
        self.service_places: list[tuple[str, int | None, int]] = []  # parallel to course.services
        # Parallel to course.glossary: the file, and each listed lesson's line, for problems.
        self.glossary_places: list[tuple[str, int | None, int]] = []

    def add_pack(self, root: Path, label: str, *, built_in: bool = False) -> None:
        reader = PackReader(root, label, self.problems)
        counts = dict.fromkeys(
            (
                "modules",
                "lessons",
                "questions",
                "scenario_questions",
                "scenarios",
                "chains",
                "exercises",
                "services",
                "glossary",
            ),
            0,
        )
        self.pack_counts[root] = counts
        if not root.is_dir():
            reader.problem(label, None, "pack", "not a directory")
            return
        files = [path for path in root.rglob("*") if path.is_file() or path.is_symlink()]
        if len(files) > MAX_PACK_FILES:
            reader.problem(label, None, "pack", f"holds {len(files):,} files; a pack may hold at most 2,000")
            return
        self.course.packs.append(root)
        course_file = root / "course.toml"
        modules_before = len(self.course.modules)
        lessons_before = len(self.course.lessons)  # course.toml may list lessons: count those too
        if course_file.exists():
            self._read_course_file(reader, course_file)
        elif label == "lessons":
            reader.problem(reader.display(course_file), None, "file", "file not found")
        counts["modules"] = len(self.course.modules) - modules_before
        self._read_module_folders(reader, own_modules=self.course.modules[modules_before:])
        counts["lessons"] = len(self.course.lessons) - lessons_before
        counts["scenarios"], counts["chains"] = self._list_presets(reader, root / "scenarios")
        for path in sorted((root / "quizzes").glob("*.toml")):
            source = reader.read(path)
            if source is not None:
                data = reader.parse_toml(source)
                if data is not None:
                    self.question_sources.append((reader, source, data))
        counts["exercises"] = self._read_exercises(reader, root / "exercises", built_in=built_in)
        services = root / "services.toml"
        if services.exists():
            counts["services"] = self._read_services(reader, services)
        glossary = root / "glossary.toml"
        if glossary.exists():
            counts["glossary"] = self._read_glossary(reader, glossary)

    def _list_presets(self, reader: PackReader, folder: Path) -> tuple[int, int]:
        """The pack's scenario presets and, in `chains/`, its chain presets: (scenarios, chains)."""
        scenarios = chains = 0
        for path in sorted(folder.glob("*.toml")):
            if reader.inside(path):
                self.course.scenario_files[path.stem] = path
                scenarios += 1
            else:
                reader.problem(
                    reader.display(path), None, "file", "this file is a link that leads outside the pack"
                )
        for path in sorted((folder / "chains").glob("*.toml")):
            if not reader.inside(path):
                reader.problem(
                    reader.display(path), None, "file", "this file is a link that leads outside the pack"
                )
            elif path.stem in self.course.scenario_files:
                reader.problem(
                    reader.display(path),
                    None,
                    "file",
                    f"a chain preset may not share the name {path.stem!r} of a scenario preset",
                )
            else:
                self.course.chain_files[path.stem] = path
                chains += 1
        return scenarios, chains

    def _read_course_file(self, reader: PackReader, path: Path) -> None:
        source = reader.read(path)
        if source is None:
            return
        data = reader.parse_toml(source)
        if data is None:
            return
        spec = reader.validate(CourseSpec, data, source)
        if spec is None:
            return
        if spec.title and not self.course.packs[:-1]:
            self.course.title = spec.title
        if spec.title:
            self.course.pack_titles[reader.root] = spec.title
        if not spec.hints:
            self.course.hints = False
        if spec.quiz_size is not None:
            # Packs load after the built-in course, so an instructor's size wins.
            self.course.quiz_size = spec.quiz_size
        known = {module.id for module in self.course.modules}
        for index, module_spec in enumerate(spec.modules):
            line = source.line_of(("modules", index, "id"))
            if module_spec.id in known:
                reader.problem(
                    source.display, line, f"modules.{index}.id", f"duplicate module id {module_spec.id!r}"
                )
                continue
            known.add(module_spec.id)
            module = Module(module_spec.id, module_spec.title, module_spec.summary, reader.root)
            self.course.modules.append(module)
            if module_spec.lessons is not None:
                for position, relative in enumerate(module_spec.lessons):
                    lesson_path = reader.resolve(
                        relative,
                        file=source.display,
                        line=source.line_of(("modules", index, "lessons")),
                        field=f"modules.{index}.lessons.{position}",
                    )
                    if lesson_path is None:
                        continue
                    if not lesson_path.is_file():
                        reader.problem(
                            source.display,
                            source.line_of(("modules", index, "lessons")),
                            f"modules.{index}.lessons.{position}",
                            f"{relative!r}: file not found",
                        )
                        continue
                    self._read_lesson(reader, lesson_path, module)
                module.listed = True

    def _read_module_folders(self, reader: PackReader, own_modules: list[Module]) -> None:
        """Lessons of unlisted modules come from the folder named after the module, in name order.

        A pack may also add lessons to a module it did not define (a built-in one) by using a
        folder of that module's name.
        """
        own = {module.id for module in own_modules}
        for module in self.course.modules:
            if module.id in own and module.listed:
                continue
            folder = reader.root / module.id
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.md")):
                self._read_lesson(reader, path, module)
        for folder in sorted(p for p in reader.root.iterdir() if p.is_dir()):
            if folder.name in ("quizzes", "scenarios", "exercises") or folder.name.startswith("."):
                continue
            loaded = {lesson.path for lesson in self.course.lessons.values()}
            stray = [path for path in folder.glob("*.md") if path not in loaded]
            if stray and not any(module.id == folder.name for module in self.course.modules):
                reader.problem(
                    reader.display(folder),
                    None,
                    "module",
                    f"folder {folder.name!r} holds lessons but names no module of the course",
                )

    def _read_lesson(self, reader: PackReader, path: Path, module: Module) -> None:
        source = reader.read(path)
        if source is None:
            return
        parsed = split_front_matter(source, reader)
        if parsed is None:
            return
        data, body = parsed
        spec = reader.validate(LessonSpec, data, source)
        if spec is None:
            return
        if spec.module != module.id:
            known = any(m.id == spec.module for m in self.course.modules)
            reason = (
                f"lesson sits in module {module.id!r} but says {spec.module!r}"
                if known
                else f"unknown module {spec.module!r}"
            )
            reader.problem(source.display, source.line_of(("module",)), "module", reason)
            return
        if spec.id in self.course.lessons:
            reader.problem(
                source.display,
                source.line_of(("id",)),
                "id",
                f"duplicate lesson id {spec.id!r} (also in {self.lesson_files[spec.id]})",
            )
            return
        if spec.try_steps and not spec.scenario:
            reader.problem(
                source.display,
                source.line_of(("try",)),
                "try",
                'try steps need a scenario to act on; add scenario = "<preset>"',
            )
        if spec.prediction and not spec.scenario:
            reader.problem(
                source.display,
                source.line_of(("prediction",)),
                "prediction",
                'a prediction is answered by the lesson\'s scenario; add scenario = "<preset>"',
            )
        self.lesson_files[spec.id] = source.display
        self.scenario_lines[spec.id] = source.line_of(("scenario",))
        self.course.lessons[spec.id] = Lesson(
            id=spec.id,
            title=spec.title,
            module=spec.module,
            objectives=spec.objectives,
            sources=spec.sources,
            scenario=spec.scenario,
            try_steps=[TryStep(text=step.text, set=step.set) for step in spec.try_steps],
            body=body,
            path=path,
            pack=reader.root,
            source_display=source.display,
            prediction=LessonPrediction(**spec.prediction.model_dump()) if spec.prediction else None,
        )
        module.lesson_ids.append(spec.id)

    def _read_exercises(self, reader: PackReader, folder: Path, *, built_in: bool) -> int:
        loaded = 0
        known = {exercise.id for exercise in self.course.exercises}
        for path in sorted(folder.glob("*.toml")):
            source = reader.read(path)
            if source is None:
                continue
            data = reader.parse_toml(source)
            if data is None:
                continue
            exercise, problems = parse_exercise(data, source, built_in=built_in)
            self.problems.extend(problems)
            if exercise is None:
                continue
            if exercise.id in known:
                reader.problem(
                    source.display, source.line_of(("id",)), "id", f"duplicate exercise id {exercise.id!r}"
                )
                continue
            known.add(exercise.id)
            exercise.pack = reader.root
            self.course.exercises.append(exercise)
            loaded += 1
        return loaded

    def _read_services(self, reader: PackReader, path: Path) -> int:
        source = reader.read(path)
        if source is None:
            return 0
        data = reader.parse_toml(source)
        if data is None:
            return 0
        spec = reader.validate(ServicesFile, data, source)
        if spec is None:
            return 0
        for index in range(len(spec.services)):
            self.service_places.append((source.display, source.line_of(("services", index, "lesson")), index))
        self.course.services.extend(Service(**service.model_dump()) for service in spec.services)
        return len(spec.services)

    def _read_glossary(self, reader: PackReader, path: Path) -> int:
        source = reader.read(path)
        if source is None:
            return 0
        data = reader.parse_toml(source)
        if data is None:
            return 0
        spec = reader.validate(GlossaryFile, data, source)
        if spec is None:
            return 0
        known = {term.id for term in self.course.glossary}
        loaded = 0
        for index, term_spec in enumerate(spec.terms):
            if term_spec.id in known:
                reader.problem(
                    source.display,
                    source.line_of(("terms", index, "id")),
                    f"terms.{index}.id",
                    f"duplicate glossary term id {term_spec.id!r}",
                )
                continue
            known.add(term_spec.id)
            self.glossary_places.append((source.display, source.line_of(("terms", index, "lessons")), index))
            self.course.glossary.append(GlossaryTerm(**term_spec.model_dump()))
            loaded += 1
        return loaded

    def link_glossary(self) -> None:
        """Each term's lessons: those listed, checked, then every lesson whose text uses it."""
        from tutor.content.glossary import terms_used

        used = {
            lesson.id: terms_used(lesson.body, self.course.glossary)
            for lesson in self.course.lessons.values()
        }
        order = self.course.ordered_lesson_ids()
        for term, (shown, line, index) in zip(self.course.glossary, self.glossary_places, strict=True):
            for position, lesson_id in enumerate(term.lessons):
                if lesson_id not in self.course.lessons:
                    self.problems.append(
                        Problem(
                            shown, line, f"terms.{index}.lessons.{position}", f"unknown lesson {lesson_id!r}"
                        )
                    )
            found = {lesson_id for lesson_id, ids in used.items() if term.id in ids}
            wanted = found | {lesson_id for lesson_id in term.lessons if lesson_id in self.course.lessons}
            term.lessons = [lesson_id for lesson_id in order if lesson_id in wanted]
            if not term.lessons:
                self.problems.append(
                    Problem(
                        shown,
                        line,
                        f"terms.{index}.term",
                        f"no lesson uses {term.term!r} (nor any of its aliases); name one in lessons",
                    )
                )

    def check_lesson_links(self) -> None:
        """A link from one lesson to another (`[text](lesson:<id>)`) must name a lesson of the course."""
        from tutor.content.glossary import LESSON_LINK

        for lesson in self.course.lessons.values():
            for match in LESSON_LINK.finditer(lesson.body):
                if match.group(1) not in self.course.lessons:
                    self.problems.append(
                        Problem(
                            lesson.source_display,
                            None,
                            "body",
                            f"links to unknown lesson {match.group(1)!r} (write [text](lesson:<lesson id>))",
                        )
                    )

    def check_references(self) -> None:
        for lesson in self.course.lessons.values():
            if not lesson.scenario or lesson.scenario in self.course.scenario_files:
                continue
            line = self.scenario_lines.get(lesson.id)
            if lesson.scenario not in self.course.chain_files:
                problem = f"unknown scenario preset {lesson.scenario!r} (nor a chain preset of that name)"
                self.problems.append(Problem(lesson.source_display, line, "scenario", problem))
        for service, (shown, line, index) in zip(self.course.services, self.service_places, strict=True):
            if service.lesson not in self.course.lessons:
                self.problems.append(
                    Problem(shown, line, f"services.{index}.lesson", f"unknown lesson {service.lesson!r}")
                )

    def read_questions(self) -> None:
        if not self.question_sources:
            return
        for reader, source, data in self.question_sources:
            questions, problems = parse_questions(data, source, self.course)
            self.problems.extend(problems)
            self.course.questions.extend(questions)
            counts = self.pack_counts[reader.root]
            counts["questions"] += len(questions)
            counts["scenario_questions"] += sum(1 for q in questions if q.kind == "scenario")
        self.problems.extend(check_questions(self.course))


def _load(extra_packs: Sequence[Path | str]) -> _CourseBuilder:
    from tutor.locations import builtin_content_dir

    builder = _CourseBuilder()
    builder.add_pack(builtin_content_dir(), "lessons", built_in=True)
    for pack in extra_packs:
        pack_path = Path(pack)
        builder.add_pack(pack_path, str(pack).rstrip("/") or ".")
    builder.check_references()
    builder.check_lesson_links()
    builder.link_glossary()
    builder.read_questions()
    return builder


def load_course(extra_packs: Sequence[Path | str] = ()) -> tuple[Course, list[Problem]]:
    """The built-in course plus any packs, and every problem found on the way. Never raises on content."""
    builder = _load(extra_packs)
    return builder.course, builder.problems


def load_course_with_counts(extra_packs: Sequence[Path | str] = ()) -> tuple[Course, list[Problem], dict]:
    builder = _load(extra_packs)
    return builder.course, builder.problems, builder.pack_counts


def load_course_or_fail(extra_packs: Sequence[Path | str] = ()) -> Course:
    course, problems = load_course(extra_packs)
    if problems:
        more = f" (and {len(problems) - 1} more; run lambda-tutor validate)" if len(problems) > 1 else ""
        raise UserError(f"{problems[0]}{more}")
    return course
