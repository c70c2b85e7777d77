"""The help-center triager: search, classify and explain; built once from config."""

import time
from collections.abc import Sequence

from bot.config import TriageConfig
from bot.triage import TriageResult
from bot.triage.analyzer import Language, PolishAnalyzer
from bot.triage.decision import Evidence, decide
from bot.triage.exemplars import EXEMPLARS_FILE, Exemplar, ExemplarIndex, load_exemplars
from bot.triage.fusion import DEPTH, SemanticLayer, fuse, passage
from bot.triage.kb import DEFAULT_KB_DIR, Article, load_articles
from bot.triage.phrases import Ticket
from bot.triage.rules import Rules, read_rules, rule_vocabulary
from bot.triage.search import Index, Ranking, article_texts
from bot.triage.semantic import E5Encoder, Encoder, VectorSet
from bot.views import Suggestion

# Precomputed embeddings live beside what they embed, keyed by a hash of each text.
ARTICLE_VECTORS = "embeddings.npz"


def _suggestion(article: Article, score: float) -> Suggestion:
    return Suggestion(article_id=article.id, title=article.title, url=article.url, score=score)


class HelpCenterTriager:
    """Implements `Triager` over an article index, the rules file and the semantic layer."""

    def __init__(
        self,
        *,
        index: Index,
        rules: Rules,
        min_confidence: float,
        semantic: SemanticLayer | None = None,
    ) -> None:
        self.index = index
        self.rules = rules
        self.min_confidence = min_confidence
        self.semantic = semantic
        self._by_id = {article.id: article for article in index.articles}

    def search(self, title: str, body: str = "", *, limit: int = 3) -> Ranking:
        """Rank articles for free text, ignoring the confidence threshold."""
        ranking = self.index.search(title=title, body=body, limit=DEPTH)
        if self.semantic is None:
            return Ranking(ranking.hits[:limit], ranking.confidence)
        reading = self.semantic.read(title=title, body=body)
        return fuse(ranking, reading.similarities, self.index.articles, limit=limit)

    def ticket(self, title: str, body: str) -> Ticket:
        """A ticket's analyzed terms, kept in sentences so that no phrase matches across two."""
        terms = self.index.analyzer.terms
        return Ticket(title=terms(title, sentences=True), body=terms(body, sentences=True))

    def assess(self, *, title: str, body: str) -> TriageResult:
        started = time.perf_counter()
        ticket = self.ticket(title, body)
        ranking = self.index.rank(
            self.index.query(title=ticket.title, body=ticket.body), limit=DEPTH
        )
        vote = None
        if self.semantic is not None:
            reading = self.semantic.read(title=title, body=body)
            ranking, vote = fuse(ranking, reading.similarities, self.index.articles), reading.vote
        best = ranking.hits[0] if ranking.hits else None
        evidence = Evidence(
            firings=self.rules.firings(ticket),
            features=self.rules.features.of(ticket),
            vote=vote,
            department_votes=self.rules.department_votes(ticket),
            article=(best.article.id, best.article.department, ranking.confidence)
            if best
            else None,
        )
        verdict = decide(evidence, self.rules.weights, fallback=self.rules.fallback)
        confident = ranking.confidence >= self.min_confidence
        hits = ranking.hits[:3]
        suggestions = tuple(_suggestion(h.article, h.score) for h in hits) if confident else ()
        signals = verdict.signals
        if hits and not confident:
            signals += (
                f"suggestions:none(confidence {ranking.confidence} < {self.min_confidence})",
            )
        return TriageResult(
            department=verdict.department,
            critical=verdict.critical,
            suggestions=suggestions,
            signals=signals,
            confidence=ranking.confidence,
            extra={
                "department_scores": verdict.department_scores,
                "critical_score": verdict.critical_score,
                "semantic": vote is not None,
                "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )

    def article(self, article_id: str) -> Suggestion | None:
        article = self._by_id.get(article_id)
        return _suggestion(article, 0.0) if article else None


def build_index(articles: Sequence[Article], *, extra_vocabulary: Sequence[str] = ()) -> Index:
    """Index articles with the Polish analyzer (its lexicon is generated in a child process)."""
    language = Language.load()
    texts = [text for article in articles for text in article_texts(article).values()]
    analyzer = PolishAnalyzer.build([*texts, *extra_vocabulary], language=language)
    return Index(articles, analyzer=analyzer, stopwords=analyzer.stopwords)


def build_semantic(
    articles: Sequence[Article],
    exemplars: Sequence[Exemplar],
    *,
    config: TriageConfig,
    encoder: Encoder | None = None,
) -> SemanticLayer:
    """The exemplar vote and article vectors, from their caches; what is missing is computed."""
    encoder = encoder or E5Encoder(threads=config.semantic_threads)
    exemplar_vectors = VectorSet(
        ExemplarIndex.texts(exemplars),
        query=True,
        encoder=encoder,
        cache=(config.exemplars_file or EXEMPLARS_FILE).with_suffix(".npz"),
    )
    article_vectors = VectorSet(
        [passage(a) for a in articles],
        query=False,
        encoder=encoder,
        cache=(config.kb_dir or DEFAULT_KB_DIR) / ARTICLE_VECTORS,
    )
    index = ExemplarIndex(
        exemplars, vectors=exemplar_vectors, k=config.neighbours, temperature=config.temperature
    )
    return SemanticLayer(encoder=encoder, exemplars=index, articles=article_vectors)


def build_triager(config: TriageConfig) -> HelpCenterTriager:
    """The triager for the configured help center and rules (defaults: shipped with Pomoc)."""
    rules_data = read_rules(config.rules_file)
    articles = load_articles(config.kb_dir)
    exemplars = load_exemplars(config.exemplars_file)
    # The exemplars are written the way owners write: their words belong in the lexicon.
    vocabulary = [*rule_vocabulary(rules_data), *(e.text for e in exemplars)]
    index = build_index(articles, extra_vocabulary=vocabulary)
    semantic = build_semantic(articles, exemplars, config=config) if config.semantic else None
    if semantic is not None:
        semantic.warm_up()
    return HelpCenterTriager(
        index=index,
        rules=Rules(rules_data, analyzer=index.analyzer),
        min_confidence=config.min_confidence,
        semantic=semantic,
    )
