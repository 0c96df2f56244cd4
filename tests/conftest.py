import pytest


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
