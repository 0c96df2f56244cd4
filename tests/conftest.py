import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """No test ever touches the learner's real progress: the store lives in a temp dir."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LAMBDA_TUTOR_HOME", str(home))
    return home
