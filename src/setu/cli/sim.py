"""CLI commands: simulate, evaluate (see setu.cli for the map of command modules).

``setu simulate`` writes a scenario's NMEA feed and its ground truth; ``setu evaluate`` puts a
scenario (or any feed with a truth file) through ingest, tracks and every detector and prints
precision and recall per event type.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from setu.cli._common import console, err_console, message, print_json, settings_from
from setu.errors import ConfigError, ValidationError

if TYPE_CHECKING:
    from rich.table import Table

    from setu.sim.evaluation import Evaluation


def _scenario_help() -> str:
    return "Scenario: quiet-arabian-sea, dark-rendezvous, loiterer, mmsi-spoofing, hra-crossing, " \
        "large, demo."  # fmt: skip


def simulate(
    scenario: str = typer.Option(..., "--scenario", help=_scenario_help()),
    seed: int = typer.Option(1, "--seed", help="Random seed; the same seed gives the same bytes."),
    out: Path = typer.Option(
        ..., "--out", help="NMEA file to write (.gz: gzip); the truth goes beside it."
    ),
    scale: float = typer.Option(1.0, "--scale", help="Multiply the number of vessels."),
    start: str | None = typer.Option(None, "--start", help="Start time (ISO-8601, UTC)."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Simulate traffic with injected behaviours: NMEA feed plus ground truth."""
    from collections import Counter

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from setu.cli.maritime import parse_time
    from setu.sim import simulate as run

    sim = run(scenario, seed=seed, scale=scale, start=parse_time(start, "--start"))
    hours = sim.world.duration_s / 3600.0
    columns = (
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} h"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True, disable=as_json) as bar:
        task = bar.add_task("simulate", total=hours)
        nmea, truth = sim.write(out, progress=lambda f: bar.update(task, completed=f * hours))
    counts: dict[str, Any] = {
        "scenario": scenario, "seed": seed, "scale": scale, "nmea": str(nmea),
        "truth": str(truth), "vessels": sim.vessels, "sentences": sim.stats.sentences,
        "messages": dict(sorted(sim.stats.messages.items())),
        "duplicates": sim.stats.duplicates, "bytes": sim.stats.bytes,
        "truth_records": dict(sorted(Counter(r["event_type"] for r in sim.truth).items())),
    }  # fmt: skip
    if as_json:
        print_json(counts)
        return
    console.print(_counts_table(counts))
    console.print(message("wrote {} and {}", counts["nmea"], counts["truth"]))


def _counts_table(counts: dict[str, Any]) -> Table:
    from setu.cli._render import Col, data_table

    pairs = [("vessels (MMSIs)", counts["vessels"]), ("sentences", counts["sentences"])]
    pairs += [(f"  {kind} messages", n) for kind, n in counts["messages"].items()]
    pairs += [("duplicate receptions", counts["duplicates"]), ("bytes", counts["bytes"])]
    pairs += [(f"truth: {kind}", n) for kind, n in counts["truth_records"].items()]
    rows = ((what, f"{n:,}") for what, n in pairs)
    title = f"{counts['scenario']} seed {counts['seed']}"
    return data_table(["what", Col("count", "right")], rows, title=title, title_justify="left")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _scores_table(result: Evaluation) -> Table:
    from setu.cli._render import Col, data_table

    numeric = ("truth", "detected", "matched", "precision", "recall")
    columns: list[str | Col] = ["event type", *(Col(n, "right") for n in numeric)]
    rows = (
        (s.event_type, s.truth, s.detected, s.matched, _fmt(s.precision), _fmt(s.recall))
        for s in result.scores
    )
    caption = (
        f"{result.summary.messages:,} messages ingested, {result.rejects:,} rejects, "
        f"{len(result.events):,} events"
    )
    return data_table(columns, rows, title=result.label, caption=caption, title_justify="left")


def evaluate(
    ctx: typer.Context,
    scenario: str | None = typer.Option(None, "--scenario", help=_scenario_help()),
    seeds: list[int] = typer.Option([], "--seed", help="Seed (repeat for several)."),
    scale: float = typer.Option(1.0, "--scale", help="Multiply the number of vessels."),
    nmea: Path | None = typer.Option(None, "--nmea", help="Evaluate this feed instead ..."),
    truth: Path | None = typer.Option(None, "--truth", help="... against this truth file."),
    fail_under: float | None = typer.Option(
        None, "--fail-under", help="Exit non-zero when any precision or recall is below this."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """Run every detector on a scenario and score it against the ground truth."""
    from setu.events.shore import load_shore
    from setu.sim.evaluation import evaluate_feed, evaluate_scenario

    if (scenario is None) == (nmea is None) or (nmea is None) != (truth is None):
        raise ConfigError("give --scenario NAME [--seed N ...], or --nmea FILE with --truth FILE")
    load_shore(settings_from(ctx).data_dir / "cache")
    results: list[Evaluation] = []
    if nmea is not None and truth is not None:
        from setu.events.evaluate import load_truth

        results.append(evaluate_feed(nmea, load_truth(truth)))
    else:
        assert scenario is not None
        for seed in seeds or [1]:
            status = message("simulating and evaluating {} seed {}", scenario, seed)
            with err_console.status(status):
                results.append(evaluate_scenario(scenario, seed, scale=scale))
    if as_json:
        print_json([r.to_dict() for r in results])
    else:
        for result in results:
            console.print(_scores_table(result))
    if fail_under is not None:
        failed = [r.label for r in results if not r.passed(fail_under)]
        if failed:
            raise ValidationError(
                f"precision or recall below {fail_under} in: {', '.join(failed)}; "
                "see the table for the event types"
            )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("simulate")(simulate)
    app.command("evaluate")(evaluate)
