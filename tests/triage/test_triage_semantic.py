"""The semantic layer: exemplars as data, the vector cache, the vote and its explanation."""

import re

import numpy as np
import pytest

from bot.triage.exemplars import ExemplarIndex, load_exemplars
from bot.triage.fusion import fuse
from bot.triage.kb import DEPARTMENTS
from bot.triage.phrases import RulesError
from bot.triage.search import Ranking
from bot.triage.semantic import VectorSet, text_key
from tests.triage.sets import load_set


class FakeEncoder:
    """Deterministic unit vectors from a text's hash; counts calls."""

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, text, *, query, max_tokens=None):
        self.calls += 1
        rng = np.random.default_rng(int(text_key("t", text), 16) % 2**32)
        vector = rng.normal(size=8).astype(np.float32)
        return vector / np.linalg.norm(vector)


def test_shipped_exemplars_are_many_labelled_and_valid():
    exemplars = load_exemplars()
    assert len(exemplars) >= 150
    assert 0.35 < sum(e.critical for e in exemplars) / len(exemplars) < 0.65
    assert {e.department for e in exemplars} <= set(DEPARTMENTS)
    assert len({e.id for e in exemplars}) == len(exemplars)


def _shingles(text):
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


@pytest.mark.parametrize("name", ["dev", "eval"])
def test_exemplars_are_not_copied_from_an_evaluation_set(name):
    tickets = [_shingles(f"{t['title']} {t['body']}") for t in load_set(name)]
    for exemplar in load_exemplars():
        mine = _shingles(exemplar.text)
        overlap = max(len(mine & other) / max(1, len(mine)) for other in tickets)
        assert overlap < 0.5, exemplar.id


def test_exemplar_file_errors_name_the_kind(tmp_path):
    path = tmp_path / "ex.yaml"
    path.write_text("outage:\n  critical: yes please\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"exemplars\.outage"):
        load_exemplars(path)
    path.write_text("outage:\n  critical: true\n  tickets: [{t: a, d: sales}]\n", "utf-8")
    with pytest.raises(RulesError, match="unknown department 'sales'"):
        load_exemplars(path)


def test_vector_cache_is_keyed_by_text_and_drops_stale_entries(tmp_path):
    cache, encoder = tmp_path / "v.npz", FakeEncoder()
    first = VectorSet(["a", "b"], query=True, encoder=encoder, cache=cache)
    assert first.missing == 2
    first.complete()
    assert encoder.calls == 2 and cache.exists()
    second = VectorSet(["b", "c"], query=True, encoder=encoder, cache=cache)
    assert second.missing == 1  # "b" came from the cache, "c" is new
    assert np.allclose(second.matrix[0], first.matrix[1], atol=1e-3)
    second.complete()
    assert VectorSet(["a"], query=True, encoder=encoder, cache=cache).missing == 1


def test_vote_names_the_nearest_exemplar_of_each_class(tmp_path):
    everything = load_exemplars()
    exemplars = everything[:20] + everything[-20:]  # both classes
    vectors = VectorSet(
        ExemplarIndex.texts(exemplars), query=True, encoder=FakeEncoder(), cache=None
    )
    vectors.complete()
    index = ExemplarIndex(exemplars, vectors=vectors, k=5, temperature=0.1)
    vote = index.vote(vectors.matrix[3])
    assert vote is not None and 0.0 <= vote.critical <= 1.0
    assert vote.neighbours[0].exemplar == exemplars[3]
    assert vote.nearest_critical.exemplar.critical
    assert not vote.nearest_normal.exemplar.critical
    assert abs(sum(vote.departments.values()) - 1) < 1e-6


def test_explanation_signals_name_exemplars_of_both_classes(triager):
    result = triager.assess(
        title="zamowienia zniknely", body="Z panelu zniknęły wszystkie zamówienia"
    )
    ids = {e.id for e in triager.semantic.exemplars.exemplars}
    nearest = [s for s in result.signals if s.startswith("nearest:")]
    assert [s.split("(")[0] for s in nearest] == ["nearest:critical", "nearest:normal"]
    assert all(s.split("(")[1].split(",")[0] in ids for s in nearest)
    assert any(s.startswith("semantic:critical(") for s in result.signals)
    assert any(s.startswith("criticality:+") for s in result.signals)


def test_reciprocal_rank_fusion_promotes_articles_both_rankers_like(triager):
    articles = list(triager.index.articles)
    bm25 = triager.index.search(title="crc", body="", limit=20)
    first = bm25.hits[0].article
    outsider = next(a for a in articles if a not in {h.article for h in bm25.hits})
    similarities = np.full(len(articles), -1.0)  # -1: not embedded, left out of that ranking
    similarities[articles.index(first)] = 0.90
    similarities[articles.index(outsider)] = 0.99
    fused = fuse(bm25, similarities, articles)
    # first: 1/(K+1) from BM25F + 1/(K+2) by cosine; outsider: 1/(K+1) by cosine alone.
    assert [h.article for h in fused.hits[:2]] == [first, outsider]
    assert fused.confidence == bm25.confidence
    empty = fuse(Ranking((), 0.0), np.full(len(articles), -1.0), articles)
    assert empty.hits == ()
