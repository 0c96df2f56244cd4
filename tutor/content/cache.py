"""The checked course, kept between runs so that opening the app does not check an unchanged course again.

Checking a course needs pydantic, and importing pydantic and building its models is most of what
separates our first frame from a bare Textual app's. So the app keeps the result of
`load_course` (the course and its problems) in one file in the data directory, with a
fingerprint of everything that could change the result:

- the cache format and the package version,
- every Python file of the content checkers (`tutor/content`, and `tutor/sim`, which checks
  scenario questions' measures): path, size and modification time,
- every file of every pack, built-in and instructor's: path, size and modification time.

Anything different is a miss, and a miss is the ordinary load, whose result then replaces the
file. The cache only ever saves work: a file that cannot be read, does not unpickle or belongs to
another fingerprint is ignored and rewritten, and a cache that cannot be written is skipped
without a word. It holds plain dataclasses (`tutor.content.course`), so reading it back imports
no pydantic. The presets are checked as the cache is built (pydantic is imported then anyway),
and the course keeps their values (`Course.checked_scenarios`), so a lesson's pane runs its preset
without the validator (`tutor.sim.plain`). It is a pickle, written and read only by this app in
the learner's own data directory, the same trust as the progress database beside it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tutor.content.course import Course, Problem

CACHE_NAME = "course-cache.pickle"
# 2: the course carries its glossary; 3: pack titles, exercises their pack; 4: presets' checked values.
CACHE_FORMAT = 4
# A pack this big is refused by the loader anyway; do not walk a whole home directory to find out.
MAX_FINGERPRINT_FILES = 2000

_PACKAGE = Path(__file__).resolve().parent.parent
_CHECKER_FOLDERS = (_PACKAGE / "content", _PACKAGE / "sim")

Fingerprint = tuple


def _files_of(root: Path, limit: int) -> list[tuple[str, int, int]] | None:
    """(relative path, size, mtime in ns) of every file under root, in a stable order.

    None (do not cache) when there are too many, or when a folder is a link: what changes behind
    a linked folder would not show here.
    """
    found: list[tuple[str, int, int]] = []
    for folder, subfolders, names in os.walk(root, followlinks=False):
        if any(os.path.islink(os.path.join(folder, sub)) for sub in subfolders):
            return None
        subfolders.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)  # follows a link: its target's change counts
            except OSError:
                stat = None
            found.append(
                (os.path.relpath(path, root), stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1)
            )
            if len(found) > limit:
                return None
    return found


def fingerprint(packs: Sequence[Path]) -> Fingerprint | None:
    """Everything the loaded course depends on; None when it is too costly to tell (no caching then)."""
    from tutor import __version__

    parts: list[object] = [CACHE_FORMAT, __version__]
    for folder in _CHECKER_FOLDERS:
        files = _files_of(folder, MAX_FINGERPRINT_FILES)
        if files is None:
            return None
        parts.append([entry for entry in files if entry[0].endswith(".py")])
    for pack in packs:
        resolved = Path(pack).resolve()
        files = _files_of(resolved, MAX_FINGERPRINT_FILES) if resolved.is_dir() else []
        if files is None:
            return None
        # The path as given too: problems name a pack by it.
        parts.append((str(pack), str(resolved), files))
    return tuple(_frozen(part) for part in parts)


def _frozen(value: object) -> object:
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, tuple):
        return tuple(_frozen(item) for item in value)
    return value


def read(path: Path, key: Fingerprint) -> tuple[Course, list[Problem]] | None:
    try:
        stored = pickle.loads(path.read_bytes())
    except Exception:
        return None
    if not (isinstance(stored, tuple) and len(stored) == 3 and stored[0] == key):
        return None
    _, course, problems = stored
    if not isinstance(course, Course) or not isinstance(problems, list):
        return None
    return course, problems


def write(path: Path, key: Fingerprint, course: Course, problems: list[Problem]) -> None:
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(pickle.dumps((key, course, problems), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)  # two apps starting at once: the last whole file wins
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def load_course_cached(extra_packs: Sequence[Path | str] = ()) -> tuple[Course, list[Problem]]:
    """`load_course`, answered from the cache when nothing it depends on has changed."""
    from tutor.locations import builtin_content_dir, data_dir

    packs = [builtin_content_dir(), *(Path(pack) for pack in extra_packs)]
    key = fingerprint(packs)
    path = data_dir() / CACHE_NAME
    if key is not None:
        cached = read(path, key)
        if cached is not None:
            return cached
    # Only a cache miss pays for the loader (pydantic and the specs).
    from tutor.content.loader import load_course

    course, problems = load_course(extra_packs)
    if key is not None:
        course.checked_scenarios = checked_presets(course)
        write(path, key, course, problems)
    return course, problems


def checked_presets(course: Course) -> dict[str, dict[str, Any]]:
    """Every preset of the course that the validator accepts, by name: its `resolved()` values.

    A preset it refuses is left out: the lesson that names it checks it again and shows the one-line
    refusal. The fingerprint covers what these depend on (the preset files and `tutor/sim`)."""
    from tutor.errors import UserError
    from tutor.sim.scenario import load_scenario

    checked = {}
    for name, path in course.scenario_files.items():
        try:
            checked[name] = load_scenario(path).resolved()
        except UserError:
            continue
    return checked
