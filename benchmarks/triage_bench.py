"""Triage quality and speed on the labelled eval set, against plain BM25, and at 1,000 articles."""

# Run: .venv/bin/python benchmarks/triage_bench.py

import random
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import TriageConfig  # noqa: E402
from bot.triage.analyzer import PlainAnalyzer  # noqa: E402
from bot.triage.engine import HelpCenterTriager, build_index, build_triager  # noqa: E402
from bot.triage.kb import Article  # noqa: E402
from bot.triage.rules import Rules, read_rules, rule_vocabulary  # noqa: E402
from bot.triage.search import Index  # noqa: E402

EVAL_FILE = ROOT / "tests" / "data" / "triage_eval.yaml"
SCALE_ARTICLES = 1000


@dataclass
class Scores:
    top1: float
    top3: float
    department: float
    critical_recall: float | None
    critical_precision: float | None
    p50_ms: float
    p95_ms: float


def load_eval() -> list[dict]:
    return yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def evaluate(triager: HelpCenterTriager, queries: list[dict]) -> Scores:
    top1 = top3 = department = tp = fp = fn = 0
    latencies = []
    for query in queries:
        started = time.perf_counter()
        result = triager.assess(title=query["title"], body=query["body"])
        latencies.append((time.perf_counter() - started) * 1000)
        ids = [s.article_id for s in result.suggestions]
        top1 += ids[:1] == [query["article"]]
        top3 += query["article"] in ids
        department += result.department == query["department"]
        tp += result.critical and query["critical"]
        fp += result.critical and not query["critical"]
        fn += query["critical"] and not result.critical
    n = len(queries)
    return Scores(
        top1=top1 / n,
        top3=top3 / n,
        department=department / n,
        critical_recall=tp / (tp + fn) if tp + fn else 1.0,
        critical_precision=tp / (tp + fp) if tp + fp else 1.0,
        p50_ms=statistics.median(latencies),
        p95_ms=percentile(latencies, 0.95),
    )


def evaluate_baseline(index: Index, queries: list[dict]) -> Scores:
    """Plain BM25: the department is the best article's; it has no notion of criticality."""
    top1 = top3 = department = 0
    latencies = []
    for query in queries:
        started = time.perf_counter()
        ranking = index.search(title=query["title"], body=query["body"])
        latencies.append((time.perf_counter() - started) * 1000)
        ids = [hit.article.id for hit in ranking.hits]
        top1 += ids[:1] == [query["article"]]
        top3 += query["article"] in ids
        best = ranking.hits[0].article.department if ranking.hits else "other"
        department += best == query["department"]
    n = len(queries)
    return Scores(
        top1 / n, top3 / n, department / n, None, None, statistics.median(latencies),
        percentile(latencies, 0.95),
    )  # fmt: skip


def table(title: str, columns: dict[str, Scores]) -> None:
    def cell(value: float | None, unit: str = "") -> str:
        return "n/a" if value is None else f"{value:.2f}{unit}" if unit else f"{value:.3f}"

    print(f"\n## {title}")
    print(f"{'metric':<22}" + "".join(f"{name:>18}" for name in columns))
    for label, attribute, unit in (
        ("top-1 accuracy", "top1", ""),
        ("top-3 accuracy", "top3", ""),
        ("department accuracy", "department", ""),
        ("critical recall", "critical_recall", ""),
        ("critical precision", "critical_precision", ""),
        ("latency p50", "p50_ms", " ms"),
        ("latency p95", "p95_ms", " ms"),
    ):
        values = "".join(f"{cell(getattr(s, attribute), unit):>18}" for s in columns.values())
        print(f"{label:<22}{values}")


def replace_cutoff(triager: HelpCenterTriager, cutoff: float) -> HelpCenterTriager:
    return HelpCenterTriager(index=triager.index, rules=triager.rules, min_confidence=cutoff)


def synthetic(articles: list[Article], count: int, *, seed: int = 7) -> list[Article]:
    """Extra articles mixing paragraphs and titles of real ones, to reach `count` in total."""
    rng = random.Random(seed)
    paragraphs = [p for a in articles for p in a.body.split("\n\n")]
    extra = []
    for number in range(count - len(articles)):
        base = rng.choice(articles)
        words = rng.sample(rng.choice(articles).title.split(), 2)
        extra.append(
            replace(
                base,
                id=f"syn-{number}-{base.id}",
                title=f"{base.title} ({' '.join(words)})",
                url=f"https://selesto.pl/pomoc/syn-{number}",
                body="\n\n".join(rng.sample(paragraphs, 4)),
            )
        )
    return [*articles, *extra]


def main() -> None:
    queries = load_eval()
    tuned = [q for q in queries if not q.get("holdout")]
    holdout = [q for q in queries if q.get("holdout")]
    print(f"eval set: {len(tuned)} tuned-on queries + {len(holdout)} held-out queries")

    started = time.perf_counter()
    triager = build_triager(TriageConfig())
    cold = time.perf_counter() - started
    articles = list(triager.index.articles)
    # The same engine with every suggestion kept, to separate ranking from the confidence cutoff.
    unfiltered = replace_cutoff(triager, 0.0)
    baseline = Index(articles, analyzer=PlainAnalyzer(), stopwords=frozenset())
    print(f"{len(articles)} articles; cold build (incl. loading simplemma) {cold:.2f} s")

    for name, subset in (("tuned-on set", tuned), ("held-out set", holdout), ("all", queries)):
        table(
            f"{name} ({len(subset)} queries)",
            {
                "pomoc": evaluate(triager, subset),
                "pomoc, no cutoff": evaluate(unfiltered, subset),
                "plain BM25": evaluate_baseline(baseline, subset),
            },
        )

    rules_data = read_rules(None)
    big = synthetic(articles, SCALE_ARTICLES)
    started = time.perf_counter()
    index = build_index(big, extra_vocabulary=rule_vocabulary(rules_data))
    build = time.perf_counter() - started
    scaled = HelpCenterTriager(
        index=index,
        rules=Rules(rules_data, analyzer=index.analyzer),
        min_confidence=TriageConfig().min_confidence,
    )
    scores = evaluate(scaled, queries)
    print(f"\n## scale: {len(big)} articles")
    print(f"index build (simplemma already loaded): {build:.2f} s")
    print(f"assess latency p50 {scores.p50_ms:.2f} ms, p95 {scores.p95_ms:.2f} ms")
    print(f"top-3 accuracy among 1,000 (synthetic near-duplicates compete): {scores.top3:.3f}")


if __name__ == "__main__":
    main()
