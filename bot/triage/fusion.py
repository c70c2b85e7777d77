"""The semantic layer beside BM25F: one ticket embedding, the exemplar vote, fused suggestions."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.triage.exemplars import ExemplarIndex, Vote, ticket_text
from bot.triage.kb import Article
from bot.triage.search import Hit, Ranking, article_texts
from bot.triage.semantic import Encoder, Vector, VectorSet

# Reciprocal-rank fusion: score = sum of 1 / (K + rank) over the rankings. A small K lets the
# first places decide; 60 (the usual default) flattens a list of only ~50 articles.
RRF_K = 10
# How deep each ranking is read before fusing.
DEPTH = 20
# A ticket's title and first sentences carry its point, and the model costs ~1.1 ms per token
# on one thread: 64 tokens (~200 characters of owner Polish) keep a ticket near 72 ms.
QUERY_TOKENS = 64


def passage(article: Article) -> str:
    """What the model reads of an article: title, the owner words for it, then the body."""
    texts = article_texts(article)
    return f"{texts['title']}. {texts['tags']}. {texts['body']}"


@dataclass(frozen=True, slots=True)
class Reading:
    """The semantic layer's view of one ticket."""

    vote: Vote | None
    similarities: np.ndarray  # cosine to every article, -1 where not embedded yet


class SemanticLayer:
    """Embeds each ticket once; exemplars vote on it and articles are ranked by similarity."""

    def __init__(self, *, encoder: Encoder, exemplars: ExemplarIndex, articles: VectorSet) -> None:
        self.encoder = encoder
        self.exemplars = exemplars
        self.articles = articles

    def read(self, *, title: str, body: str) -> Reading:
        text = ticket_text(title, body)
        vector: Vector = self.encoder.embed(text, query=True, max_tokens=QUERY_TOKENS)
        return Reading(self.exemplars.vote(vector), self.articles.similarities(vector))

    def warm_up(self) -> None:
        """Compute missing exemplar and article vectors in the background; queries go on."""
        self.exemplars.vectors.complete_in_background()
        self.articles.complete_in_background()


def fuse(
    ranking: Ranking, similarities: np.ndarray, articles: Sequence[Article], *, limit: int = 3
) -> Ranking:
    """Reciprocal-rank fusion of BM25F hits and cosine ranks; the confidence stays BM25F's.

    Cosine similarity hardly tells a covered question from an uncovered one (dev set: median
    0.893 against 0.875), so it reorders the articles but does not vouch for them.
    """
    rows = {article.id: row for row, article in enumerate(articles)}
    scores: dict[int, float] = {}
    for rank, hit in enumerate(ranking.hits[:DEPTH], start=1):
        row = rows[hit.article.id]
        scores[row] = scores.get(row, 0.0) + 1 / (RRF_K + rank)
    ready = np.flatnonzero(similarities > -1)
    by_cosine = ready[np.argsort(-similarities[ready])][:DEPTH]
    for rank, row in enumerate(by_cosine, start=1):
        scores[int(row)] = scores.get(int(row), 0.0) + 1 / (RRF_K + rank)
    best = sorted(scores, key=lambda row: (-scores[row], row))[:limit]
    hits = tuple(Hit(articles[row], round(scores[row] * (RRF_K + 1) / 2, 3)) for row in best)
    return Ranking(hits=hits, confidence=ranking.confidence)
