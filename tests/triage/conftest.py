"""One help-center triager per test session: building it loads simplemma (~4 s)."""

import pytest

from bot.config import TriageConfig
from bot.triage import HelpCenterTriager, build_triager


@pytest.fixture(scope="session")
def triager() -> HelpCenterTriager:
    return build_triager(TriageConfig())


@pytest.fixture(scope="session")
def terms(triager: HelpCenterTriager):
    return triager.index.analyzer.terms
