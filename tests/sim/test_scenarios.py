"""Every scenario through ingest and every detector: precision and recall >= 0.95 for each event
type of its truth, and nothing detected of a type the truth does not contain (three seeds)."""

from __future__ import annotations

import pytest

from setu.sim.evaluation import Evaluation, evaluate_scenario

BAR = 0.95
SEEDS = (1, 2, 3)


def _check(result: Evaluation, expected: set[str]) -> None:
    truth_types = {t.event_type.value for t in result.truth}
    detected_types = {e.event_type.value for e in result.events}
    assert expected <= truth_types, f"{result.label}: truth lacks {expected - truth_types}"
    assert detected_types <= truth_types, (
        f"{result.label}: detected types absent from the truth: {detected_types - truth_types}"
    )
    assert result.rejects == 0
    for s in result.scores:
        assert s.precision is not None and s.precision >= BAR, (result.label, s.to_dict())
        assert s.recall is not None and s.recall >= BAR, (result.label, s.to_dict())
    assert result.passed(BAR)


@pytest.mark.unit
@pytest.mark.parametrize("seed", SEEDS)
def test_demo(seed: int, shore: object) -> None:
    _check(
        evaluate_scenario("demo", seed),
        {"encounter", "speed_drop", "drift", "identity_change", "invalid_identity", "port_visit"},
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("dark-rendezvous", {"gap", "encounter", "port_visit"}),
        ("loiterer", {"loitering", "port_visit"}),
        ("mmsi-spoofing", {"spoofing", "port_visit"}),
        ("hra-crossing", {"zone_entry", "port_visit"}),
        ("quiet-arabian-sea", {"coverage_hole", "port_visit", "zone_entry"}),
    ],
)
@pytest.mark.parametrize("seed", SEEDS)
def test_scenario(scenario: str, expected: set[str], seed: int, shore: object) -> None:
    _check(evaluate_scenario(scenario, seed), expected)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_large_at_small_scale(seed: int, shore: object) -> None:
    _check(evaluate_scenario("large", seed, scale=0.02), {"gap", "encounter", "loitering"})


@pytest.mark.unit
def test_the_quiet_day_has_no_injected_vessel_behaviour() -> None:
    from setu.sim import simulate

    sim = simulate("quiet-arabian-sea", seed=1, scale=0.2)
    assert sim.world.injected == []
    assert all(a.normal for a in sim.world.actors)
    # the short outage (3 h) is below the 12 h gap threshold: no truth record for it
    holes = [r for r in sim.truth if r["event_type"] == "coverage_hole"]
    assert len(holes) == 1 and holes[0]["details"]["vessels_silent"] >= 4
