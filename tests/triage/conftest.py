"""One help-center triager per test session: the lexicon, the index and the semantic layer."""

import pytest

from bot.config import TriageConfig
from bot.triage import HelpCenterTriager, build_triager


@pytest.fixture(scope="session")
def triager() -> HelpCenterTriager:
    built = build_triager(TriageConfig())
    # The shipped caches hold every vector; waiting only matters when they are stale.
    assert built.semantic is not None
    built.semantic.articles.wait(300)
    built.semantic.exemplars.vectors.wait(300)
    return built


@pytest.fixture(scope="session")
def rules_triager(triager: HelpCenterTriager) -> HelpCenterTriager:
    """The rule path alone (no embedding model), over the same index and rules."""
    return HelpCenterTriager(
        index=triager.index, rules=triager.rules, min_confidence=triager.min_confidence
    )


@pytest.fixture(scope="session")
def terms(triager: HelpCenterTriager):
    return triager.index.analyzer.terms
