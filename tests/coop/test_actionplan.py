"""The Action Plan parser against the real seed text, and as a property."""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.coop.actionplan import (
    BULLET,
    Cadence,
    cadence_of,
    level_of,
    parse_action_plan,
    seed_bullets,
)
from setu.coop.seeding import packaged_action_plan, seed_json, seed_text
from setu.errors import InputError

SHARED_SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "seeds"
SEED_FILE = SHARED_SEED / "003_9dddcec57c880dde.txt"

pytestmark = pytest.mark.unit


def test_packaged_text_is_the_seed() -> None:
    if not SEED_FILE.is_file():
        pytest.skip(f"seed text not found at {SEED_FILE} (clone with ../shared beside the repo)")
    assert SEED_FILE.read_text(encoding="utf-8") == seed_text("action_plan_2009.txt")


def test_every_bullet_is_parsed_exactly_once() -> None:
    text = seed_text("action_plan_2009.txt")
    bullets = seed_bullets(text)
    plan = parse_action_plan(text)
    assert len(bullets) == 47
    assert sorted(item.text for item in plan.items) == sorted(bullets)
    assert len({item.key for item in plan.items}) == len(plan.items)


def test_header_sections_and_end() -> None:
    plan = packaged_action_plan()
    assert plan.adopted_on == date(2009, 12, 29)
    assert plan.place == "New Delhi"
    assert list(plan.sections) == list(range(1, 10))
    assert plan.sections[3] == "Defence Cooperation"
    counts = {s: sum(i.section == s for i in plan.items) for s in plan.sections}
    assert counts == {1: 4, 2: 9, 3: 16, 4: 1, 5: 2, 6: 3, 7: 3, 8: 8, 9: 1}
    assert all("Comment" not in item.text for item in plan.items)  # page furniture ignored


def test_calendar_sub_items_belong_to_the_calendar_bullet() -> None:
    items = {i.key: i for i in packaged_action_plan().items}
    assert items["3.7"].text.startswith("Developing of Annual Calendar")
    jimex = items["3.7.1.1"]
    assert jimex.subsection == "(1) Exercises"
    assert jimex.cadence is Cadence.ANNUAL
    assert "alternately off India and Japan" in jimex.text
    assert items["3.7.3.3"].subsection == "(3) Exchanges/Seminars"


@pytest.mark.parametrize(
    ("key", "cadence", "level"),
    [
        ("2.1", Cadence.ANNUAL, "Foreign Minister"),
        ("2.2", Cadence.REGULAR, None),
        ("2.4", Cadence.TWICE_A_YEAR, "Foreign Secretary / Vice Minister"),
        ("2.5", Cadence.ONCE_A_YEAR, None),
        ("3.2", Cadence.ANNUAL, "Defence Secretary / Administrative Vice-Minister of Defence"),
        ("3.6", Cadence.ONCE_A_YEAR, None),
        ("3.7", Cadence.UNSPECIFIED, None),
        ("3.7.1.2", Cadence.WHEN_POSSIBLE, None),
        ("3.7.1.3", Cadence.ON_OCCASION, None),
        ("9.1", Cadence.ANNUAL, "Joint Secretary, MEA/Director General of MOFA"),
    ],
)
def test_cadence_and_level_from_wording(key: str, cadence: Cadence, level: str | None) -> None:
    item = {i.key: i for i in packaged_action_plan().items}[key]
    assert item.cadence is cadence
    assert item.level == level


def test_reviewed_file_covers_every_item() -> None:
    keys = {i.key for i in packaged_action_plan().items}
    assert set(seed_json("action_plan_2009.json")["items"]) == keys


def test_unexpected_line_is_an_error() -> None:
    text = seed_text("action_plan_2009.txt").replace(
        "  \u2022 Maritime Security Dialogue", "Maritime Security Dialogue (unindented)"
    )
    with pytest.raises(InputError, match="unexpected text"):
        parse_action_plan(text)


def test_not_an_action_plan() -> None:
    with pytest.raises(InputError, match="Action Plan"):
        parse_action_plan("hello\nworld\n")


def test_rules_read_words_not_positions() -> None:
    assert cadence_of("Navy-to-Navy Staff Talks (basically once a year)") is Cadence.ONCE_A_YEAR
    assert cadence_of("Developing of Annual Calendar of X") is Cadence.UNSPECIFIED
    assert level_of("Dialogue at the level of Joint Secretary, MEA.") == "Joint Secretary, MEA"


_words = st.text(alphabet=st.sampled_from("abcdefgh XYZ,/()-"), min_size=1, max_size=40).map(
    lambda s: "W" + " ".join(s.split())
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_words, min_size=1, max_size=5), min_size=1, max_size=9))
def test_generated_plans_round_trip(sections: list[list[str]]) -> None:
    lines = ["Header", "", "Action Plan to test", "", "January 2, 2010", ""]
    for number, bullets in enumerate(sections, start=1):
        lines += [f"{number}. Section {number}", ""]
        lines += [f"  {BULLET} {b}" for b in bullets]
    lines += ["Tokyo", "January 2, 2010", "", f"  {BULLET} Name *"]
    text = "\n".join(lines)
    plan = parse_action_plan(text)
    assert [i.text for i in plan.items] == [b for bs in sections for b in bs]
    assert seed_bullets(text) == [i.text for i in plan.items]
    assert plan.place == "Tokyo"


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_action_plan(text)
