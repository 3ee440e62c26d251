"""Seeding the real framework: agreements with their dates, lineage, every Action Plan item."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from setu.coop import Cooperation
from setu.coop.actionplan import seed_bullets
from setu.coop.seeding import seed_text
from setu.errors import NotFoundError, ValidationError

pytestmark = pytest.mark.unit


def test_every_action_plan_bullet_is_a_mechanism_exactly_once(coop: Cooperation) -> None:
    mechanisms = coop.list_mechanisms()
    bullets = seed_bullets(seed_text("action_plan_2009.txt"))
    assert Counter(m["text"] for m in mechanisms) == Counter(bullets)
    assert all(c == 1 for c in Counter(m["text"] for m in mechanisms).values())
    assert {m["agreement"] for m in mechanisms} == {"action-plan-2009"}
    assert {m["kind"] for m in mechanisms} == {
        "dialogue",
        "exercise",
        "exchange",
        "information_exchange",
        "cooperation",
    }
    assert all(m["classification"] == "UNCLASSIFIED" for m in mechanisms)


def test_seeding_is_idempotent(coop: Cooperation) -> None:
    again = coop.seed()
    assert again.as_dict() == {
        "agreements": 0,
        "relations": 0,
        "mechanisms": 0,
        "exercise_series": 0,
    }
    assert coop.ensure_seeded() is None
    assert len(coop.list_mechanisms()) == 47


@pytest.mark.parametrize(
    ("key", "signed_on", "place"),
    [
        ("jd-2008", date(2008, 10, 22), "Tokyo"),
        ("action-plan-2009", date(2009, 12, 29), "New Delhi"),
        ("equipment-transfer-2015", date(2015, 12, 12), "New Delhi"),
        ("classified-info-2015", date(2015, 12, 12), "New Delhi"),
        ("acsa-2020", date(2020, 9, 9), "New Delhi"),
        ("jd-2025", date(2025, 8, 29), "Tokyo"),
    ],
)
def test_agreements_carry_their_dated_facts(
    coop: Cooperation, key: str, signed_on: date, place: str
) -> None:
    row = coop.get_agreement(key)
    assert row["signed_on"] == signed_on
    assert row["place"] == place
    assert row["source"]


def test_month_precision_and_acsa_term(coop: Cooperation) -> None:
    memo = coop.get_agreement("defence-memo-2014")
    assert (memo["signed_on"].year, memo["signed_on"].month) == (2014, 9)
    assert memo["signed_precision"] == "month"
    ia = coop.get_agreement("navy-ia-2018")
    assert (ia["signed_on"], ia["signed_precision"]) == (date(2018, 10, 1), "month")
    acsa = coop.get_agreement("acsa-2020")
    assert acsa["term_years"] == 10
    assert "renew" in acsa["renewal"]
    assert len(coop.list_agreements()) == 8


def test_lineage(coop: Cooperation) -> None:
    assert coop.get_agreement("jd-2008")["status"] == "superseded"
    lineage = coop.lineage("jd-2008")
    assert lineage["superseded_by"] == ["jd-2025"]
    assert "action-plan-2009" in lineage["rested_on_by"]
    assert "classified-info-2015" in lineage["rested_on_by"]  # via the 2014 memorandum
    assert coop.lineage("classified-info-2015")["rests_on"] == ["defence-memo-2014", "jd-2008"]
    plan = coop.get_agreement("action-plan-2009")
    assert len(plan["mechanisms"]) == 47
    assert {"from": "action-plan-2009", "relation": "implements", "to": "jd-2008"}.items() <= (
        plan["relations"][0].items()
    )


def test_new_agreement_relation_and_cycle_refused(coop: Cooperation) -> None:
    coop.create_agreement(
        "acsa-amendment-2027", "Amendment to the ACSA", kind="amendment", signed_on="2027-01-10"
    )
    coop.relate("acsa-amendment-2027", "amends", "acsa-2020", note="test")
    assert coop.lineage("acsa-amendment-2027")["rests_on"] == ["acsa-2020", "jd-2008"]
    with pytest.raises(ValidationError, match="cycle"):
        coop.relate("jd-2008", "builds_on", "acsa-amendment-2027")
    with pytest.raises(ValidationError, match="exists"):
        coop.create_agreement("acsa-2020", "dup")
    updated = coop.update_agreement("acsa-2020", entry_into_force="2021-07-11")
    assert updated["entry_into_force"] == date(2021, 7, 11)
    with pytest.raises(NotFoundError):
        coop.get_agreement("nope")
    with pytest.raises(ValidationError, match="relation"):
        coop.relate("acsa-2020", "replaces", "jd-2008")


def test_exercise_series_seeded(coop: Cooperation) -> None:
    names = {s["name"] for s in coop.list_series()}
    assert {
        "JIMEX",
        "Malabar",
        "PASSEX",
        "Dharma Guardian",
        "SHINYUU Maitri",
        "Veer Guardian",
        "Sahyog-Kaijin",
        "Cope India (observer participation)",
    } == names
