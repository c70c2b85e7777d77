"""Regression guard: accuracy on the labelled eval set stays above the project's targets."""

import pytest

from tests.triage.sets import load_set

EVAL = load_set("eval")


@pytest.fixture(scope="module")
def outcomes(triager):
    return [(q, triager.assess(title=q["title"], body=q["body"])) for q in EVAL]


def test_eval_set_is_large_and_labelled(triager):
    assert len(EVAL) >= 80
    known = {a.id for a in triager.index.articles}
    assert all(q["article"] in known for q in EVAL)
    assert sum(q["critical"] for q in EVAL) >= 15


def test_top3_accuracy(outcomes):
    hits = sum(q["article"] in [s.article_id for s in r.suggestions] for q, r in outcomes)
    assert hits / len(outcomes) >= 0.90


def test_department_accuracy(outcomes):
    hits = sum(r.department == q["department"] for q, r in outcomes)
    assert hits / len(outcomes) >= 0.90


def test_critical_recall_and_precision(outcomes):
    flagged = [q["critical"] for q, r in outcomes if r.critical]
    actual = [r.critical for q, r in outcomes if q["critical"]]
    assert sum(actual) / len(actual) >= 0.95
    # This set was written with the old rules and labels some owner-style outages as normal
    # (a parcel-locker map that loads for no customer, marketplace orders not pulled in) that
    # the independent sets label critical; precision on it is a floor, not the target.
    assert sum(flagged) / len(flagged) >= 0.65
