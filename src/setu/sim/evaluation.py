"""Evaluation: a feed through the ordinary ingest path, the detectors, and scores against truth.

``simulate -> NMEA file -> setu.ingest (MemorySink) -> tracks -> every detector -> score``: the
detectors see exactly what a user's feed would give them. Scores are precision and recall per
event type (:mod:`setu.events.evaluate` documents the matching rule).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from setu.events.evaluate import Truth, TypeScore
    from setu.events.model import Event
    from setu.ingest import IngestSummary


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation found: the scores, the events and how the feed ingested."""

    label: str
    scores: list[TypeScore]
    events: list[Event]
    truth: list[Truth]
    summary: IngestSummary
    rejects: int
    facts: dict[str, Any] = field(default_factory=dict)

    def passed(self, threshold: float) -> bool:
        """True when every precision and recall present reaches ``threshold``."""
        return all(
            value is None or value >= threshold
            for s in self.scores
            for value in (s.precision, s.recall)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            **self.facts,
            "messages": self.summary.messages,
            "rejects": self.rejects,
            "events": len(self.events),
            "truth": len(self.truth),
            "scores": [s.to_dict() for s in self.scores],
        }


def evaluate_feed(
    nmea: Path, truth: list[Truth], *, label: str = "", facts: dict[str, Any] | None = None
) -> Evaluation:
    """Ingest ``nmea``, run every detector, score against ``truth``."""
    from setu.events.evaluate import score
    from setu.events.run import make_detectors, run_detectors
    from setu.ingest import MemorySink, ingest, sources_for

    sink = MemorySink()
    summary = ingest(sources_for(paths=[str(nmea)]), sink)
    positions = sink.table("positions")
    detectors = make_detectors(statics=sink.table("statics"))
    events = run_detectors(positions, detectors)
    return Evaluation(
        label=label or nmea.name,
        scores=score(events, truth),
        events=events,
        truth=list(truth),
        summary=summary,
        rejects=sink.rejects().num_rows,
        facts=dict(facts or {}),
    )


def evaluate_scenario(scenario: str, seed: int, *, scale: float = 1.0) -> Evaluation:
    """Simulate ``scenario`` for ``seed`` into a temporary file and evaluate it."""
    from setu.events.evaluate import parse_truth
    from setu.sim import simulate

    sim = simulate(scenario, seed=seed, scale=scale)
    with tempfile.TemporaryDirectory(prefix="setu-sim-") as tmp:
        nmea, truth_path = sim.write(Path(tmp) / f"{scenario}-{seed}.nmea")
        truth = parse_truth(truth_path.read_text(encoding="utf-8").splitlines(), str(truth_path))
        facts = {"scenario": scenario, "seed": seed, "scale": scale, "vessels": sim.vessels,
                 "sentences": sim.stats.sentences}  # fmt: skip
        return evaluate_feed(nmea, truth, label=f"{scenario} seed {seed}", facts=facts)
