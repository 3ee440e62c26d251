"""A simulation run: the feed as NMEA lines and its ground truth."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from setu.errors import ConfigError, InputError
from setu.sim.emit import Compiled, EmitStats, compile_world, generate
from setu.sim.scenarios import DEFAULT_START, SCENARIOS
from setu.sim.traffic import REGIONS, Builder
from setu.sim.world import World


class Simulation:
    """One scenario run (see :func:`simulate`)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.compiled: Compiled = compile_world(world)
        self.stats = EmitStats()
        self._truth: list[dict[str, Any]] | None = None
        self._heard: np.ndarray | None = None

    @property
    def scenario(self) -> str:
        return self.world.scenario

    @property
    def vessels(self) -> int:
        """Distinct MMSIs broadcast."""
        return len({a.vessel.mmsi for a in self.world.actors})

    def _generate(self, encode: bool) -> Iterator[bytes]:
        stats = EmitStats()
        for lines in generate(self.compiled, stats, encode=encode):
            if encode:
                yield lines.tobytes()
        self._heard = np.column_stack([stats.first_heard, stats.last_heard])
        if encode:
            self.stats = stats

    def sentences(self) -> Iterator[bytes]:
        """Every line of the feed (bytes, newline included), in time order."""
        for block in self._generate(encode=True):
            yield from io.BytesIO(block)

    @property
    def truth(self) -> list[dict[str, Any]]:
        """Ground-truth records (the truth JSONL format, one dict per record)."""
        if self._truth is None:
            from setu.sim.truth import all_truth

            if self._heard is None:
                for _ in self._generate(encode=False):
                    pass
            assert self._heard is not None
            self._truth = all_truth(self.compiled, self._heard)
        return self._truth

    def write(
        self, nmea_path: Path, progress: Callable[[float], None] | None = None
    ) -> tuple[Path, Path]:
        """Write the feed (gzip when the name ends in ``.gz``) and the truth beside it
        (``<stem>.truth.jsonl``); ``progress`` gets the simulated fraction done."""
        nmea_path = Path(nmea_path)
        name = nmea_path.name.removesuffix(".gz")
        stem = name.rsplit(".", 1)[0] if "." in name else name
        truth_path = nmea_path.with_name(f"{stem}.truth.jsonl")
        hours = max(1, int(np.ceil(self.world.duration_s / 3600.0)))
        try:
            opener = gzip.open if nmea_path.suffix == ".gz" else open
            with opener(nmea_path, "wb") as out:  # type: ignore[operator]
                for k, block in enumerate(self._generate(encode=True)):
                    out.write(block)
                    if progress is not None:
                        progress((k + 1) / hours)
            text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in self.truth)
            truth_path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write the simulation to {nmea_path}: {exc}") from exc
        return nmea_path, truth_path


def simulate(
    scenario: str, *, seed: int, scale: float = 1.0, start: datetime | None = None
) -> Simulation:
    """Build scenario ``scenario`` (a key of :data:`SCENARIOS`) for ``seed``."""
    spec = SCENARIOS.get(scenario)
    if spec is None:
        raise ConfigError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
    if not scale > 0:
        raise ConfigError(f"scale must be positive (got {scale})")
    when = start or DEFAULT_START
    if when.tzinfo is None:
        raise ConfigError("start must be timezone-aware UTC, e.g. 2025-01-15T00:00:00Z")
    builder = Builder(spec.name, int(seed), when, spec.hours * 3600.0, REGIONS[spec.region])
    spec.build(builder, scale)
    return Simulation(builder.world())
