"""Labelled example tickets and the nearest-neighbour vote they cast on a new ticket."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.triage.kb import DEPARTMENTS
from bot.triage.phrases import RulesError
from bot.triage.semantic import Vector, VectorSet
from bot.triage.text import fold

EXEMPLARS_FILE = Path(__file__).with_name("exemplars.yaml")


@dataclass(frozen=True, slots=True)
class Exemplar:
    id: str
    kind: str
    critical: bool
    department: str
    title: str
    body: str

    @property
    def text(self) -> str:
        return ticket_text(self.title, self.body)


def ticket_text(title: str, body: str) -> str:
    """What the model reads of a ticket: the title is its summary, so it goes first."""
    return f"{title.strip()}. {body.strip()}" if body.strip() else title.strip()


def _exemplar(kind: str, spec: dict[str, object], number: int, ticket: object) -> Exemplar:
    if not isinstance(ticket, dict) or not ticket.get("t"):
        raise RulesError(f"exemplars.{kind}[{number}]: a ticket needs a title under 't'")
    department = str(ticket.get("d") or spec.get("department") or "")
    if department not in DEPARTMENTS:
        raise RulesError(f"exemplars.{kind}[{number}]: unknown department {department!r}")
    return Exemplar(
        id=f"{kind}-{number}",
        kind=kind,
        critical=bool(spec["critical"]),
        department=department,
        title=str(ticket["t"]),
        body=str(ticket.get("b") or ""),
    )


def load_exemplars(path: Path | None = None) -> list[Exemplar]:
    """Every exemplar in the file (default: the one shipped beside the rules), validated."""
    source = path or EXEMPLARS_FILE
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RulesError(f"cannot read exemplars {source}: {error}") from None
    if not isinstance(data, dict):
        raise RulesError(f"{source} must map kinds to their tickets")
    exemplars = []
    for kind, spec in data.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("critical"), bool):
            raise RulesError(f"exemplars.{kind}: needs critical: true|false and tickets")
        tickets = spec.get("tickets") or []
        exemplars += [_exemplar(kind, spec, n, t) for n, t in enumerate(tickets, start=1)]
    return exemplars


@dataclass(frozen=True, slots=True)
class Neighbour:
    exemplar: Exemplar
    similarity: float


@dataclass(frozen=True, slots=True)
class Vote:
    """The k nearest exemplars' say: P(critical), department shares, and who was nearest."""

    critical: float
    departments: dict[str, float]
    nearest_critical: Neighbour | None
    nearest_normal: Neighbour | None
    neighbours: tuple[Neighbour, ...]


class ExemplarIndex:
    """Similarity-weighted k-nearest-neighbour vote over embedded exemplars.

    Each exemplar is embedded as written and folded (no diacritics, lower case): owners write
    both ways, and with one spelling per exemplar the model matched tickets by that style
    (the few folded exemplars were everyone's nearest neighbours).
    """

    def __init__(
        self, exemplars: Sequence[Exemplar], *, vectors: VectorSet, k: int, temperature: float
    ) -> None:
        self.exemplars = tuple(exemplars)
        self.vectors = vectors
        self.k = k
        # A softmax over similarities: close neighbours count far more than the k-th one.
        self.temperature = temperature
        rows = len(vectors.keys)
        self._exemplar_of = np.arange(rows) % max(1, len(self.exemplars))
        critical = np.array([e.critical for e in self.exemplars], dtype=bool)
        self._critical = critical[self._exemplar_of] if len(self.exemplars) else critical
        self._centred: tuple[int, Vector, np.ndarray] | None = None

    @staticmethod
    def texts(exemplars: Sequence[Exemplar]) -> list[str]:
        """The texts to embed for `exemplars`: every one as written, then folded."""
        return [*(e.text for e in exemplars), *(fold(e.text) for e in exemplars)]

    def _centring(self) -> tuple[Vector, np.ndarray]:
        """The exemplars' mean and the centred exemplar vectors, redone as more are embedded.

        Similarities are taken after removing the mean: every ticket is close to the generic
        "owner complains" direction, and without centring a few exemplars near it (hubs) are
        everyone's nearest neighbours.
        """
        ready = self.vectors.ready
        usable = int(ready.sum())
        if self._centred is None or self._centred[0] != usable:
            centre = self.vectors.matrix[ready].mean(axis=0)
            centred = _unit(self.vectors.matrix - centre)
            self._centred = (usable, centre, centred)
        return self._centred[1], self._centred[2]

    def vote(self, vector: Vector) -> Vote | None:
        """None while no exemplar is embedded yet."""
        usable = int(self.vectors.ready.sum())
        if usable == 0:
            return None
        centre, centred = self._centring()
        query = _unit((vector - centre)[np.newaxis, :])[0]
        scores = np.where(self.vectors.ready, centred @ query, np.float32(-2.0))
        order = np.argsort(-scores)[: min(self.k, usable)]
        weights = np.exp((scores[order] - scores[order[0]]) / self.temperature)
        weights /= weights.sum()
        departments: dict[str, float] = {}
        for row, weight in zip(order, weights, strict=True):
            name = self._exemplar(row).department
            departments[name] = departments.get(name, 0.0) + float(weight)
        neighbours = tuple(Neighbour(self._exemplar(r), float(scores[r])) for r in order)
        return Vote(
            critical=float(weights[self._critical[order]].sum()),
            departments=departments,
            nearest_critical=self._nearest(scores, critical=True),
            nearest_normal=self._nearest(scores, critical=False),
            neighbours=neighbours,
        )

    def _nearest(self, scores: np.ndarray, *, critical: bool) -> Neighbour | None:
        """The closest exemplar of one class (similarity after centring)."""
        mask = (self._critical == critical) & self.vectors.ready
        if not mask.any():
            return None
        row = int(np.argmax(np.where(mask, scores, -2.0)))
        return Neighbour(self._exemplar(row), float(scores[row]))

    def _exemplar(self, row: int) -> Exemplar:
        return self.exemplars[int(self._exemplar_of[row])]


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: np.ndarray = matrix / np.maximum(norms, 1e-9)
    return unit
