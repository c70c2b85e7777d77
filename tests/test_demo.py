"""`pomoc demo --scripted` against a real Synapse: every step of the story is observed."""

import pytest

from pomoc.demo import run_demo
from tests.test_run import free_port

pytestmark = pytest.mark.synapse


def test_scripted_demo_observes_every_step_and_reuses_its_site(tmp_path):
    lines: list[str] = []
    folder = tmp_path / "demo"
    code = run_demo(
        scripted=True,
        folder=folder,
        port=free_port(),
        homeserver_port=free_port(),
        say=lines.append,
    )
    transcript = "\n".join(lines)
    assert code == 0, transcript
    assert transcript.count("      ok (") == 4, transcript
    assert "every step observed" in transcript
    assert "first run" in transcript

    again: list[str] = []
    assert (
        run_demo(
            scripted=True,
            folder=folder,
            port=free_port(),
            homeserver_port=free_port(),
            say=again.append,
        )
        == 0
    ), "\n".join(again)
    assert "first run" not in "\n".join(again)  # users, rooms and the shop were reused
