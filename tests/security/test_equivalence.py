"""The national equivalence table: shipped rows, unmapped levels denied, validation."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from setu.security import equivalence as eq
from setu.security.errors import EquivalenceTableError, UnmappedLevelError
from setu.security.labels import Label


def label(nation: str, level: str) -> Label:
    return Label(
        originator_nation=nation,
        originator_node="n1",
        classification=level,
        releasable_to=frozenset({"IND", "JPN"}),
        purposes=frozenset({"MDA"}),
        caveats=frozenset(),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("nation", "level", "expected"),
    [
        ("IND", "UNCLASSIFIED", 0),
        ("IND", "CONFIDENTIAL", 2),
        ("IND", "SECRET", 3),
        ("IND", "TOP SECRET", 4),
        ("JPN", "UNCLASSIFIED", 0),
        ("JPN", "秘", 2),
        ("JPN", "極秘", 3),
        ("JPN", "特定秘密", 3),
        ("JPN", "機密", 4),
    ],
)
def test_common_ladder(nation: str, level: str, expected: int) -> None:
    assert eq.rank(nation, level) == expected


@pytest.mark.parametrize(
    ("nation", "level"),
    [
        ("IND", "RESTRICTED"),
        ("JPN", "SECRET"),  # English name is not a level of Japan's scheme
        ("IND", "極秘"),
        ("USA", "SECRET"),
        ("IND", "secret"),
        ("IND", "COSMIC TOP SECRET"),
    ],
)
def test_unmapped_is_denied(nation: str, level: str) -> None:
    with pytest.raises(UnmappedLevelError, match="denied"):
        eq.rank(nation, level)


def test_restricted_refusal_cites_its_source() -> None:
    with pytest.raises(UnmappedLevelError, match="no Japanese counterpart"):
        eq.rank("IND", "RESTRICTED")


def test_equivalent_markings() -> None:
    assert eq.equivalent(label("IND", "SECRET"), "JPN") == "極秘"
    assert eq.equivalent(label("JPN", "特定秘密"), "IND") == "SECRET"
    assert eq.equivalent(label("JPN", "秘"), "IND") == "CONFIDENTIAL"
    assert eq.equivalent(label("IND", "SECRET"), "IND") == "SECRET"
    with pytest.raises(UnmappedLevelError):
        eq.equivalent(label("IND", "RESTRICTED"), "IND")
    with pytest.raises(UnmappedLevelError):
        eq.equivalent(label("IND", "SECRET"), "USA")


def test_every_row_has_a_source_and_only_top_secret_is_unsettled() -> None:
    table = eq.default_table()
    assert table.policy == "IND-JPN-2015"
    assert all(row.source and row.basis in {"V", "T", "U"} for row in table.rows)
    assert [row.english for row in table.rows if not row.settled] == ["TOP SECRET"]
    assert eq.is_settled("JPN", "極秘") and not eq.is_settled("JPN", "機密")


def test_government_names() -> None:
    assert eq.government("IND") == ("Government of India", "インド共和国政府")
    assert eq.government("JPN") == ("Government of Japan", "日本国政府")
    with pytest.raises(UnmappedLevelError):
        eq.government("USA")


def test_override_table_from_file(tmp_path: Path) -> None:
    path = tmp_path / "signed.toml"
    path.write_text(
        'policy = "IND-JPN-2015"\n[nations.IND]\ngovernment = "Government of India"\n'
        '[nations.JPN]\ngovernment = "Government of Japan"\n'
        '[[rows]]\nrank = 1\nenglish = "RESTRICTED"\nIND = ["RESTRICTED"]\nJPN = ["取扱注意"]\n'
        'basis = "V"\nsettled = true\nsource = "signed table"\n',
        encoding="utf-8",
    )
    table = eq.load_table(path)
    assert eq.rank("IND", "RESTRICTED", table) == 1
    assert eq.equivalent(label("IND", "RESTRICTED"), "JPN", table) == "取扱注意"
    with pytest.raises(UnmappedLevelError):
        eq.rank("IND", "SECRET", table)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("policy = 'P'\n", "nations"),
        ("policy = 'P'\n[nations.IND]\ngovernment = 'G'\n", "no \\[\\[rows\\]\\]"),
        (
            "policy = 'P'\n[nations.IND]\ngovernment = 'G'\n[[rows]]\nrank = 0\nenglish = 'U'\n"
            "IND = ['U']\nbasis = 'X'\nsettled = true\nsource = 's'\n",
            "basis",
        ),
        (
            "policy = 'P'\n[nations.IND]\ngovernment = 'G'\n"
            "[[rows]]\nrank = 0\nenglish = 'U'\nIND = ['U']\nbasis = 'V'\nsettled = true\n"
            "source = 's'\n[[rows]]\nrank = 1\nenglish = 'R'\nIND = ['U']\nbasis = 'V'\n"
            "settled = true\nsource = 's'\n",
            "two rows",
        ),
        (
            "policy = 'P'\n[nations.IND]\ngovernment = 'G'\n[[rows]]\nrank = 0\nenglish = 'U'\n"
            "IND = ['U']\nbasis = 'V'\nsettled = true\nsource = 's'\n"
            "[[unmapped]]\nnation = 'IND'\nlevel = 'U'\n",
            "both mapped and unmapped",
        ),
        ("not toml [", "cannot be read"),
    ],
)
def test_malformed_tables_refused(tmp_path: Path, body: str, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(EquivalenceTableError, match=match):
        eq.load_table(path)


def test_setting_replaces_the_shipped_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "signed.toml"
    path.write_text(
        'policy = "IND-JPN-2015"\n[nations.IND]\ngovernment = "Government of India"\n'
        '[nations.JPN]\ngovernment = "Government of Japan"\n'
        '[[rows]]\nrank = 3\nenglish = "SECRET"\nIND = ["SECRET"]\nJPN = ["極秘"]\n'
        'basis = "V"\nsettled = true\nsource = "signed table"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(eq.TABLE_ENV, str(path))
    assert eq.default_table().rows[0].source == "signed table"
    with pytest.raises(UnmappedLevelError):
        eq.rank("IND", "CONFIDENTIAL")
    monkeypatch.setenv(eq.TABLE_ENV, str(tmp_path / "missing.toml"))
    with pytest.raises(EquivalenceTableError, match="cannot be read"):
        eq.rank("IND", "SECRET")
    monkeypatch.delenv(eq.TABLE_ENV)
    assert eq.rank("IND", "CONFIDENTIAL") == 2


# --- national ladders --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nation", "level", "expected"),
    [
        ("IND", "UNCLASSIFIED", 0),
        ("IND", "RESTRICTED", 1),
        ("IND", "CONFIDENTIAL", 2),
        ("IND", "SECRET", 3),
        ("IND", "TOP SECRET", 4),
        ("JPN", "UNCLASSIFIED", 0),
        ("JPN", "秘", 1),
        ("JPN", "極秘", 2),
        ("JPN", "特定秘密", 2),
        ("JPN", "機密", 3),
    ],
)
def test_national_ladders(nation: str, level: str, expected: int) -> None:
    assert eq.national_rank(nation, level) == expected


def test_a_national_ladder_does_not_map_across_nations() -> None:
    assert eq.national_rank("IND", "RESTRICTED") == 1
    with pytest.raises(UnmappedLevelError, match="no Japanese counterpart"):
        eq.rank("IND", "RESTRICTED")  # the common ladder still refuses it
    with pytest.raises(UnmappedLevelError, match="not a level of IND's scheme"):
        eq.national_rank("IND", "極秘")
    with pytest.raises(UnmappedLevelError):
        eq.national_rank("USA", "SECRET")  # a third nation has neither


def test_ladders_cite_their_sources() -> None:
    ladders = eq.default_table().ladders
    assert set(ladders) == {"IND", "JPN"}
    assert "MHA Manual" in ladders["IND"].source and "329CO0000000149" in ladders["JPN"].source


_TWO_ROWS = (
    "policy = 'P'\n[nations.IND]\ngovernment = 'G'\n"
    "[[rows]]\nrank = 0\nenglish = 'U'\nIND = ['U']\nbasis = 'V'\nsettled = true\nsource = 's'\n"
    "[[rows]]\nrank = 2\nenglish = 'C'\nIND = ['C']\nbasis = 'V'\nsettled = true\nsource = 's'\n"
)


@pytest.mark.parametrize(
    ("ladder", "match"),
    [
        ("steps = [['C'], ['U']]\nbasis = 'U'\nsource = 's'\n", "unlike the rows"),
        ("steps = [['U'], ['R']]\nbasis = 'U'\nsource = 's'\n", "lacks the mapped level 'C'"),
        ("steps = [['U'], ['C', 'U']]\nbasis = 'U'\nsource = 's'\n", "twice"),
        ("steps = [['U'], ['C']]\nbasis = 'U'\n", "source"),
        ("steps = ['U', 'C']\nbasis = 'U'\nsource = 's'\n", "list of lists"),
    ],
)
def test_bad_ladders_are_refused(ladder: str, match: str) -> None:
    with pytest.raises(EquivalenceTableError, match=match):
        eq.parse_table(tomllib.loads(_TWO_ROWS + "[ladders.IND]\n" + ladder))


def test_a_ladder_for_an_unknown_nation_is_refused() -> None:
    body = _TWO_ROWS + "[ladders.USA]\nsteps = [['U']]\nbasis = 'U'\nsource = 's'\n"
    with pytest.raises(EquivalenceTableError, match=r"without \[nations\.USA\]"):
        eq.parse_table(tomllib.loads(body))


def test_without_a_ladder_the_common_ranks_serve() -> None:
    table = eq.parse_table(tomllib.loads(_TWO_ROWS))
    assert eq.national_rank("IND", "C", table) == 2
    with pytest.raises(UnmappedLevelError):
        eq.national_rank("IND", "R", table)


def test_a_ladder_adds_a_national_level_between_rows() -> None:
    body = _TWO_ROWS + "[ladders.IND]\nsteps = [['U'], ['R'], ['C']]\nbasis = 'U'\nsource = 's'\n"
    table = eq.parse_table(tomllib.loads(body))
    assert [eq.national_rank("IND", x, table) for x in ("U", "R", "C")] == [0, 1, 2]
    with pytest.raises(UnmappedLevelError):
        eq.rank("IND", "R", table)
