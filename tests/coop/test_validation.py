"""Cooperation records checked at the boundary, the same on SQLite and PostgreSQL: keys in one
normal form, plausible terms and ranges, text that fits its column, areas that are JSON."""

from __future__ import annotations

from datetime import date

import pytest

from setu.coop import Cooperation
from setu.errors import NotFoundError, ValidationError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("variant", ["K1", "k1 ", " K1\t"])
def test_keys_differing_in_case_or_spaces_are_one_agreement(coop: Cooperation, variant) -> None:
    # Regression: k1, K1 and "k1 " became three agreements.
    coop.create_agreement("k1", "First")
    with pytest.raises(ValidationError, match="is the same key"):
        coop.create_agreement(variant, "Second")
    assert coop.get_agreement(variant)["key"] == "k1"
    assert coop.update_agreement(variant, summary="found")["summary"] == "found"
    assert [a["key"] for a in coop.list_agreements()].count("k1") == 1
    assert coop.create_agreement(" New-Key ", "Third")["key"] == "new-key"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "needs a key"),
        ("two words", "may hold only"),
        ("-leading-dash", "may hold only"),
        ("k" * 65, "at most 64"),
    ],
)
def test_malformed_keys_are_refused(coop: Cooperation, key: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        coop.create_agreement(key, "Title")


def test_lookups_by_malformed_key_are_not_found(coop: Cooperation) -> None:
    for lookup in (coop.get_agreement, coop.get_mechanism):
        with pytest.raises(NotFoundError):
            lookup("no such key!")
    assert coop.get_mechanism(" AP2009-2.4 ")["key"] == "ap2009-2.4"
    assert coop.list_editions(series=" JIMEX") == []


@pytest.mark.parametrize("term", [-5, 0, 101, "abc"])
def test_implausible_terms_are_refused(coop: Cooperation, term: object) -> None:
    # Regression: --term-years -5 was accepted.
    with pytest.raises(ValidationError, match="term_years"):
        coop.create_agreement("t-1", "Term", term_years=term)
    coop.create_agreement("t-2", "Term", term_years=10)
    with pytest.raises(ValidationError, match="term_years"):
        coop.update_agreement("t-2", term_years=term)
    assert coop.get_agreement("t-2")["term_years"] == 10


@pytest.mark.parametrize(
    ("field", "value"),
    [("duration_days", 0), ("anchor_year", 10), ("preferred_month", "x"), ("slots_per_year", 13)],
)
def test_mechanism_planning_values_out_of_range_are_refused(coop, field, value) -> None:
    with pytest.raises(ValidationError, match=field):
        coop.update_mechanism("2.4", **{field: value})


def test_text_longer_than_its_column_is_refused_on_both_backends(coop: Cooperation) -> None:
    # Regression: SQLite kept what PostgreSQL's VARCHAR refused.
    with pytest.raises(ValidationError, match="at most 128 are kept"):
        coop.create_agreement("long-place", "Title", place="x" * 129)
    with pytest.raises(NotFoundError):
        coop.get_agreement("long-place")
    with pytest.raises(ValidationError, match="NUL"):
        coop.create_agreement("nul", "Ti\x00tle")


def test_edition_names_differing_in_case_or_spaces_are_one_edition(coop: Cooperation) -> None:
    first = coop.create_edition(
        "jimex", name="  JIMEX   26 ", start_on=date(2026, 10, 5), end_on=date(2026, 10, 9)
    )
    assert first["name"] == "JIMEX 26"
    with pytest.raises(ValidationError, match="is the same name"):
        coop.create_edition(
            "JIMEX", name="jimex 26", start_on=date(2026, 10, 5), end_on=date(2026, 10, 9)
        )
    assert len(coop.list_editions(series="jimex")) == 1


@pytest.mark.parametrize(("host", "message"), [("IND", "ISO 3166"), ("1N", "ISO 3166")])
def test_edition_host_must_be_a_country_code(coop: Cooperation, host: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        coop.create_edition(
            "malabar", name="M 26", start_on=date(2026, 11, 1), end_on=date(2026, 11, 9), host=host
        )


@pytest.mark.parametrize("area", ["{", "[" * 100_000])
def test_an_area_that_is_not_json_is_a_clear_error(coop: Cooperation, area: str) -> None:
    with pytest.raises(ValidationError, match="not valid JSON"):
        coop.create_edition(
            "malabar", name="M 26", start_on=date(2026, 11, 1), end_on=date(2026, 11, 9), area=area
        )


def test_area_file_that_is_not_text_or_missing_is_a_clear_error(
    db_url: str, tmp_path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from setu.cli import app

    monkeypatch.setenv("SETU_DATABASE_URL", db_url)
    binary = tmp_path / "area.geojson"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    base = ["--data-dir", str(tmp_path / "d"), "coop", "exercises", "create", "--series"]
    edition = ["malabar", "--name", "M 26", "--start", "2026-11-01", "--end", "2026-11-09"]
    runner = CliRunner()
    result = runner.invoke(app, [*base, *edition, "--area", str(binary)])
    assert isinstance(result.exception, ValidationError)
    assert "not UTF-8 text" in str(result.exception)
    missing = runner.invoke(app, [*base, *edition, "--area", str(tmp_path / "nope.geojson")])
    assert missing.exit_code == 2  # a usage error, not a traceback


@pytest.mark.parametrize("row_id", [2**31, 10**20, 0, -1])
def test_ids_no_row_can_have_are_not_found(coop: Cooperation, row_id: int) -> None:
    # Regression: an id beyond 64 bits raised OverflowError from the SQLite driver.
    lookups = (coop.get_engagement, coop.get_meeting, coop.get_edition)
    for lookup in lookups:
        with pytest.raises(NotFoundError):
            lookup(row_id)
    with pytest.raises(NotFoundError):
        coop.update_action_item(row_id, status="done")


@pytest.mark.parametrize("year", [0, 99999, 10**20])
def test_years_out_of_range_are_a_clear_error(coop: Cooperation, year: int) -> None:
    # Regression: `coop compliance --year 0` raised ValueError from datetime.date.
    calls = (
        lambda: coop.compliance(year),
        lambda: coop.flags(year),
        lambda: coop.list_engagements(year=year),
        lambda: coop.export_ical(year=year),
        lambda: coop.list_editions(year=year),
        lambda: coop.generate_calendar(year),
    )
    for call in calls:
        with pytest.raises(ValidationError, match="four-digit year"):
            call()
