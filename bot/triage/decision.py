"""Fuse rules, scope/cause features and the nearest exemplars into criticality and department."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.triage.exemplars import Neighbour, Vote
from bot.triage.features import FEATURES, Feature, names
from bot.triage.phrases import RulesError


@dataclass(frozen=True)
class Weights:
    """How much each kind of evidence counts; read from the `decision` section of the rules."""

    title: float = 3.0  # a routing phrase in the title counts this many body matches
    article: float = 2.5  # the best article's department, times the search confidence
    critical_rule: float = 2.0  # a firing critical rule's department, when the ticket is critical
    neighbours: float = 4.0  # the nearest exemplars' departments, by their share of the vote
    # Below this (centred) similarity the nearest exemplar is no neighbour: no department vote.
    neighbour_floor: float = 0.25
    threshold: float = 0.33  # critical once the evidence reaches this many points
    rule: float = 1.2  # an unexempted critical rule fired
    overruled: float = -0.1  # only exempted rules fired: the owner's own integration data
    semantic: float = 3.4  # times (2 P(critical) - 1) of the nearest exemplars
    features: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> "Weights":
        section = dict(data.get("decision") or {})
        features = dict(section.pop("features", None) or {})
        unknown = sorted(set(features) - set(FEATURES))
        if unknown:
            raise RulesError(f"decision.features: unknown feature(s) {', '.join(unknown)}")
        routing = {
            "title": data.get("title_weight", cls.title),
            "article": data.get("article_weight", cls.article),
            "critical_rule": data.get("critical_weight", cls.critical_rule),
        }
        values = {key: float(value) for key, value in {**routing, **section}.items()}
        return cls(**values, features={k: float(v) for k, v in features.items()})


@dataclass(frozen=True, slots=True)
class Firing:
    """A critical rule that matched, and the exemption that overruled it, if one did."""

    rule: str
    department: str | None
    field: str
    exemption: str | None

    @property
    def signals(self) -> list[str]:
        if self.exemption:
            return [f"overruled:{self.rule}({self.field})", self.exemption]
        return [f"critical:{self.rule}({self.field})"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything the decision looks at, gathered by the triager for one ticket."""

    firings: Sequence[Firing]
    features: tuple[Feature, ...]
    vote: Vote | None
    department_votes: Mapping[str, list[tuple[float, str]]]
    article: tuple[str, str, float] | None  # (article id, its department, search confidence)


@dataclass(frozen=True, slots=True)
class Verdict:
    department: str
    critical: bool
    signals: tuple[str, ...]
    department_scores: dict[str, float]
    critical_score: float


def _nearest(label: str, neighbour: Neighbour | None) -> list[str]:
    if neighbour is None:
        return []
    return [f"nearest:{label}({neighbour.exemplar.id}, {neighbour.similarity:.3f})"]


def criticality(evidence: Evidence, weights: Weights) -> tuple[float, list[str]]:
    """Points for and against critical, and the signals that say where each came from."""
    signals = [signal for firing in evidence.firings for signal in firing.signals]
    fired = [f for f in evidence.firings if not f.exemption]
    score = weights.rule if fired else weights.overruled if evidence.firings else 0.0
    found = names(evidence.features)
    # "sprawdziłam na jednym produkcie, dalej to samo – na każdym" speaks of everything: when
    # both scopes show, the single one is an example, not the extent.
    if "scope:all" in found:
        found -= {"scope:one"}
    for feature in sorted(found):
        score += weights.features.get(feature, 0.0)
    signals += [feature.signal for feature in evidence.features]
    vote = evidence.vote
    if vote is not None:
        score += weights.semantic * (2 * vote.critical - 1)
        signals.append(f"semantic:critical({vote.critical:.2f})")
        signals += _nearest("critical", vote.nearest_critical)
        signals += _nearest("normal", vote.nearest_normal)
    return round(score, 3), signals


def route(
    evidence: Evidence, weights: Weights, *, critical: bool
) -> dict[str, list[tuple[float, str]]]:
    """Department votes: routing phrases, the critical rule, the best article, the neighbours."""
    votes = {name: list(cast) for name, cast in evidence.department_votes.items()}
    if critical:
        for firing in evidence.firings:
            if firing.department and not firing.exemption:
                votes[firing.department].append((weights.critical_rule, f"rule:{firing.rule}"))
    if evidence.article is not None and evidence.article[2] > 0:
        article_id, department, confidence = evidence.article
        votes.setdefault(department, []).append(
            (weights.article * confidence, f"article:{article_id}")
        )
    vote = evidence.vote
    if vote is not None and vote.neighbours[0].similarity >= weights.neighbour_floor:
        for department, share in vote.departments.items():
            if share >= 0.05:
                reason = f"neighbours:{share:.2f}"
                votes.setdefault(department, []).append((weights.neighbours * share, reason))
    return votes


def decide(evidence: Evidence, weights: Weights, *, fallback: str) -> Verdict:
    score, signals = criticality(evidence, weights)
    critical = score >= weights.threshold
    signals.append(f"criticality:{score:+.2f}({'>=' if critical else '<'} {weights.threshold})")
    votes = route(evidence, weights, critical=critical)
    scores = {name: sum(weight for weight, _ in cast) for name, cast in votes.items()}
    winner = max(scores, key=scores.__getitem__) if scores else fallback
    if scores.get(winner, 0.0) <= 0:
        winner = fallback
        signals.append(f"department:{winner}(fallback)")
    signals += [f"department:{winner}({reason})" for _, reason in votes.get(winner, [])]
    return Verdict(
        department=winner,
        critical=critical,
        signals=tuple(signals),
        department_scores={k: round(v, 2) for k, v in scores.items() if v > 0},
        critical_score=score,
    )
