"""The help-center triager: search, classify and explain; built once from config."""

import time
from collections.abc import Sequence

from bot.config import TriageConfig
from bot.triage import TriageResult
from bot.triage.analyzer import Language, PolishAnalyzer
from bot.triage.kb import Article, load_articles
from bot.triage.lexicon import release_dictionary
from bot.triage.rules import Rules, Ticket, read_rules, rule_vocabulary
from bot.triage.search import Index, Ranking, article_texts
from bot.views import Suggestion


def _suggestion(article: Article, score: float) -> Suggestion:
    return Suggestion(article_id=article.id, title=article.title, url=article.url, score=score)


class HelpCenterTriager:
    """Implements `Triager` over an article index and a rules file."""

    def __init__(self, *, index: Index, rules: Rules, min_confidence: float) -> None:
        self.index = index
        self.rules = rules
        self.min_confidence = min_confidence
        self._by_id = {article.id: article for article in index.articles}

    def search(self, title: str, body: str = "", *, limit: int = 3) -> Ranking:
        """Rank articles for free text, ignoring the confidence threshold."""
        return self.index.search(title=title, body=body, limit=limit)

    def assess(self, *, title: str, body: str) -> TriageResult:
        started = time.perf_counter()
        analyzer = self.index.analyzer
        ticket = Ticket(title=analyzer.terms(title), body=analyzer.terms(body))
        ranking = self.index.rank(self.index.query(title=ticket.title, body=ticket.body))
        confident = ranking.confidence >= self.min_confidence
        best = ranking.hits[0] if ranking.hits else None
        verdict = self.rules.judge(ticket, best=best, confidence=ranking.confidence)
        suggestions = (
            tuple(_suggestion(hit.article, hit.score) for hit in ranking.hits) if confident else ()
        )
        signals = verdict.signals
        if ranking.hits and not confident:
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
                "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )

    def article(self, article_id: str) -> Suggestion | None:
        article = self._by_id.get(article_id)
        return _suggestion(article, 0.0) if article else None


def build_index(articles: Sequence[Article], *, extra_vocabulary: Sequence[str] = ()) -> Index:
    """Index articles with the Polish analyzer (loads simplemma once: a few seconds)."""
    language = Language.load()
    texts = [text for article in articles for text in article_texts(article).values()]
    analyzer = PolishAnalyzer.build([*texts, *extra_vocabulary], language=language)
    return Index(articles, analyzer=analyzer, stopwords=analyzer.stopwords)


def build_triager(config: TriageConfig) -> HelpCenterTriager:
    """The triager for the configured help center and rules (defaults: shipped with Pomoc)."""
    rules_data = read_rules(config.rules_file)
    index = build_index(load_articles(config.kb_dir), extra_vocabulary=rule_vocabulary(rules_data))
    rules = Rules(rules_data, analyzer=index.analyzer)
    release_dictionary()
    return HelpCenterTriager(index=index, rules=rules, min_confidence=config.min_confidence)
