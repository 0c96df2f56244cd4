"""The simulator layer never pulls in Textual or the UI (it runs headless on the command line)."""

import json
import subprocess
import sys


def test_engine_scenario_and_player_import_neither_textual_nor_the_ui():
    code = (
        "import json, sys\n"
        "import tutor.sim.engine, tutor.sim.player, tutor.sim.scenario\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = json.loads(done.stdout)
    assert "tutor.sim.engine" in modules and "simpy" in modules
    assert not [m for m in modules if m == "textual" or m.startswith("textual.")]
    assert not [m for m in modules if m == "tutor.ui" or m.startswith("tutor.ui.")]
