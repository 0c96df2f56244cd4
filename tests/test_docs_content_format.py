"""docs/content-format.md is enough to write content: every key the scenario model accepts is in it."""

from __future__ import annotations

import re
from pathlib import Path

from tutor.sim.params import PARAMS

DOC = (Path(__file__).parent.parent / "docs" / "content-format.md").read_text(encoding="utf-8")
# Keys the scenario file takes besides the parameters (tutor/sim/scenario.py).
OTHER_KEYS = ("model", "title", "description", "function.faults", "load.arrival_times_s")


def test_every_scenario_key_has_a_row_with_its_default_and_what_is_allowed():
    rows = {
        match.group(1): match.group(0)
        for match in re.finditer(r"^\| `([a-z_.]+)` \|.*$", DOC, flags=re.MULTILINE)
    }
    missing = [key for key in PARAMS if key not in rows]
    assert not missing, f"docs/content-format.md has no row for {missing}"
    for key, param in PARAMS.items():
        cells = [cell.strip() for cell in rows[key].strip("|").split("|")]
        assert param.allowed().replace("|", "/") == cells[2], f"{key}: the doc's allowed values are stale"
        default = "absent" if param.default is None else str(param.default).lower().removesuffix(".0")
        assert cells[3].strip('"').startswith(default), f"{key}: the doc says default {cells[3]}"


def test_the_other_scenario_keys_chains_glossary_and_lesson_links_are_documented():
    for key in OTHER_KEYS:
        assert f"`{key}" in DOC or f"`[[{key}]]`" in DOC, f"{key} is not documented"
    for heading in ("### Chains", "## Glossary", "### Links between lessons"):
        assert heading in DOC
    assert "(lesson:" in DOC and "[[stages]]" in DOC and "via" in DOC
