"""Where the glossary's terms appear in a lesson, and the lesson text with each term's first use
linked to the glossary (`glossary:<id>`), the way lessons link to each other (`lesson:<id>`).

Terms are found outside code (fences and `inline`), headings, existing links and the sources
list, as whole words, in any case; the longest name wins where two overlap ("reserved
concurrency" over "concurrency").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tutor.content.course import GlossaryTerm

GLOSSARY_SCHEME = "glossary:"
LESSON_SCHEME = "lesson:"
LESSON_LINK = re.compile(r"\]\(lesson:([^)\s]*)\)")

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_SOURCES_HEADING = re.compile(r"^#{1,6}\s+(sources|references)\b", re.IGNORECASE)
# Markdown links (text and target), autolinks and bare URLs: never rewritten. Inline code is
# rewritten only when it is a term's name whole (`IteratorAge`), as a link around the code.
_PROTECTED = re.compile(r"`[^`]*`|!?\[[^\]]*\]\([^)]*\)|<[^>\s]+>|https?://\S+")
_CODE = re.compile(r"`([^`]+)`")


def _names_pattern(terms: Iterable[GlossaryTerm]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    owner: dict[str, str] = {}
    for term in terms:
        for name in term.names:
            owner.setdefault(name.lower(), term.id)
    if not owner:
        return None, owner
    alternatives = "|".join(re.escape(name) for name in sorted(owner, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])", re.IGNORECASE), owner


def _prose_lines(body: str) -> Iterator[tuple[int, str, bool]]:
    """(index, line, is prose) for every line: prose is what a term may be found in."""
    fence: str | None = None
    in_sources = False
    for index, line in enumerate(body.split("\n")):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[0]
            yield index, line, False
            continue
        if fence is not None:
            if match and match.group(1)[0] == fence:
                fence = None
            yield index, line, False
            continue
        if _HEADING.match(line):
            in_sources = bool(_SOURCES_HEADING.match(line.lstrip()))
            yield index, line, False
            continue
        yield index, line, not in_sources


def _candidates(line: str, pattern: re.Pattern[str], owner: dict[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, term id) of every place a term may be linked, in order."""
    protected = [match.span() for match in _PROTECTED.finditer(line)]
    found = [
        (match.start(), match.end(), owner[match.group(1).lower()])
        for match in pattern.finditer(line)
        if not any(low < match.end() and match.start() < high for low, high in protected)
    ]
    links = [span for span in protected if line[span[0]] != "`"]
    for match in _CODE.finditer(line):
        term_id = owner.get(match.group(1).strip().lower())
        if term_id and not any(low < match.end() and match.start() < high for low, high in links):
            found.append((match.start(), match.end(), term_id))
    return sorted(found)


def _link_line(line: str, pattern: re.Pattern[str], owner: dict[str, str], linked: set[str]) -> str:
    pieces: list[str] = []
    done = 0
    for start, end, term_id in _candidates(line, pattern, owner):
        if term_id in linked:
            continue
        linked.add(term_id)
        pieces += [line[done:start], f"[{line[start:end]}]({GLOSSARY_SCHEME}{term_id})"]
        done = end
    return "".join(pieces) + line[done:] if pieces else line


def link_terms(body: str, terms: Iterable[GlossaryTerm]) -> str:
    """The lesson text with the first use of each term made a link to its glossary entry."""
    pattern, owner = _names_pattern(terms)
    if pattern is None:
        return body
    lines = body.split("\n")
    linked: set[str] = set()
    for index, line, prose in _prose_lines(body):
        if prose:
            lines[index] = _link_line(line, pattern, owner, linked)
    return "\n".join(lines)


def terms_used(body: str, terms: Iterable[GlossaryTerm]) -> set[str]:
    """The ids of the terms a lesson's text uses (where `link_terms` would link them)."""
    pattern, owner = _names_pattern(terms)
    if pattern is None:
        return set()
    found: set[str] = set()
    for _, line, prose in _prose_lines(body):
        if prose:
            _link_line(line, pattern, owner, found)
    return found
