import pytest
from textual.app import App


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """No test ever touches the learner's real progress: the store lives in a temp dir."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LAMBDA_TUTOR_HOME", str(home))
    return home


def pytest_collection_modifyitems(items):
    """Start the random-key walks first: they are the longest single tests (the app-wide one about
    45 s), so they run on one core from the start while the other works through the short ones."""
    items.sort(key=lambda item: "random_keys" not in item.name)


def screen_text(app: App) -> str:
    """What the learner sees, as plain text: one line per terminal row, the footer last."""
    update = app.screen._compositor.render_full_update(simplify=True)
    return "\n".join("".join(strip.text for strip in row) for row in update.strips)
