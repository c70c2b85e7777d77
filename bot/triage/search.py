"""BM25F ranking of help-center articles, with title and tags weighted above the body."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.triage.analyzer import Analyzer
from bot.triage.kb import Article

K1 = 1.2
B = 0.75
# A word in the title or tags says more about the article than one in the body.
FIELD_WEIGHTS = {"title": 3.0, "tags": 2.0, "body": 1.0}
# The ticket title is the owner's own 2-3-word summary: its words count double.
TITLE_QUERY_WEIGHT = 2.0
# How much matched evidence (sum of idf) makes a confident answer; see `confidence`.
EVIDENCE_SCALE = 4.0


@dataclass(frozen=True, slots=True)
class Hit:
    article: Article
    score: float


@dataclass(frozen=True, slots=True)
class Query:
    weights: dict[str, float]  # indexed term -> weight in the ticket
    unknown: float  # total weight of content words no article uses


@dataclass(frozen=True, slots=True)
class Ranking:
    hits: tuple[Hit, ...]
    # 0..1: how much of the query the best article explains, damped when little matched.
    confidence: float


class Index:
    """An in-memory inverted index over articles, searched with analyzed query terms."""

    def __init__(
        self, articles: Sequence[Article], *, analyzer: Analyzer, stopwords: frozenset[str]
    ) -> None:
        self.analyzer = analyzer
        self.stopwords = stopwords
        self.articles = tuple(articles)
        self._postings: dict[str, list[tuple[int, float]]] = {}
        lengths = []
        for number, article in enumerate(self.articles):
            weighted: dict[str, float] = {}
            for field_name, text in article_texts(article).items():
                for term in self.analyzer.terms(text):
                    weighted[term] = weighted.get(term, 0.0) + FIELD_WEIGHTS[field_name]
            for term, frequency in weighted.items():
                self._postings.setdefault(term, []).append((number, frequency))
            lengths.append(sum(weighted.values()))
        average = sum(lengths) / len(lengths) if lengths else 1.0
        self._norms = [K1 * (1 - B + B * length / average) for length in lengths]
        count = len(self.articles)
        self._idf = {
            term: math.log(1 + (count - len(posts) + 0.5) / (len(posts) + 0.5))
            for term, posts in self._postings.items()
        }

    def query(self, *, title: Sequence[str], body: Sequence[str]) -> Query:
        """Weigh a ticket's analyzed title and body terms; stopwords drop out."""
        weights: dict[str, float] = {}
        unknown: dict[str, float] = {}
        for terms, weight in ((title, TITLE_QUERY_WEIGHT), (body, 1.0)):
            for term in set(terms):
                if len(term) > 1 and term not in self.stopwords:
                    counts = weights if term in self._postings else unknown
                    counts[term] = counts.get(term, 0.0) + weight
        return Query(weights=weights, unknown=sum(unknown.values()))

    def rank(self, query: Query, *, limit: int = 3) -> Ranking:
        scores: dict[int, float] = {}
        matched: dict[int, list[str]] = {}
        for term, weight in query.weights.items():
            idf = self._idf[term]
            for number, frequency in self._postings[term]:
                gain = weight * idf * frequency * (K1 + 1) / (frequency + self._norms[number])
                scores[number] = scores.get(number, 0.0) + gain
                matched.setdefault(number, []).append(term)
        best = sorted(scores, key=scores.__getitem__, reverse=True)[:limit]
        if not best:
            return Ranking(hits=(), confidence=0.0)
        hits = tuple(Hit(self.articles[n], round(scores[n], 3)) for n in best)
        terms = matched[best[0]]
        # A word the help center never uses counts like the rarest word: the ticket is
        # probably about something the articles do not cover.
        total = sum(w * self._idf[t] for t, w in query.weights.items()) + query.unknown * max(
            self._idf.values()
        )
        covered = sum(query.weights[t] * self._idf[t] for t in terms)
        evidence = sum(self._idf[t] for t in terms)
        return Ranking(hits=hits, confidence=confidence(covered, total, evidence=evidence))

    def search(self, *, title: str, body: str = "", limit: int = 3) -> Ranking:
        """Analyze and rank in one step (for callers that do not reuse the terms)."""
        query = self.query(title=self.analyzer.terms(title), body=self.analyzer.terms(body))
        return self.rank(query, limit=limit)


def confidence(covered: float, total: float, *, evidence: float) -> float:
    """Share of the query the best article explains, damped when it rests on little evidence.

    `covered`/`total` are query-weighted idf sums; `evidence` is the plain idf sum of the
    matched terms. Coverage alone would trust one common word; evidence alone a long ramble.
    """
    if total <= 0:
        return 0.0
    damping = 1 - math.exp(-evidence / EVIDENCE_SCALE)
    return round(math.sqrt(covered / total) * damping, 3)


def article_texts(article: Article) -> dict[str, str]:
    return {
        "title": article.title,
        "tags": " ".join((*article.tags, *article.aliases, *article.keywords)),
        "body": article.body,
    }
