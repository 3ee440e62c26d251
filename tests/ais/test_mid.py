"""MID table and MMSI → flag state (ITU MID table, ITU-R M.585-9 formats)."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from setu.ais.mid import Flag, flag_for_mid, flag_of, flags_of, mid_table
from setu.errors import ValidationError

pytestmark = pytest.mark.unit


def _raw_rows() -> list[dict[str, str]]:
    text = resources.files("setu.ais").joinpath("mid_table.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def test_table_file_cites_its_source() -> None:
    text = resources.files("setu.ais").joinpath("mid_table.csv").read_text(encoding="utf-8")
    assert text.startswith("# ") and "Appendix 43" in text.splitlines()[0]


def test_every_row_is_unique_three_digits_in_range_with_iso2_and_name() -> None:
    rows = _raw_rows()
    mids = [row["mid"] for row in rows]
    assert len(mids) == len(set(mids))
    for row in rows:
        assert len(row["mid"]) == 3 and row["mid"].isdigit() and 201 <= int(row["mid"]) <= 775
        assert row["mid"][0] in "234567"
        assert len(row["iso2"]) == 2 and row["iso2"].isalpha() and row["iso2"].isupper()
        assert row["flag"] and row["flag"] == row["flag"].strip()
    assert set(row.keys()) == {"mid", "iso2", "flag"}


def test_table_loads_every_row() -> None:
    assert len(mid_table()) == len(_raw_rows())
    assert min(mid_table()) == 201 and max(mid_table()) == 775


SPOT_CHECKS = {
    "IN": [419], "JP": [431, 432], "LR": [636, 637], "MH": [538], "HK": [477],
    "SG": [563, 564, 565, 566], "CN": [412, 413, 414], "KR": [440, 441],
    "PA": [351, 352, 353, 354, 355, 356, 357, 370, 371, 372, 373], "PH": [548], "ID": [525],
    "MY": [533], "AE": [470, 471], "SA": [403], "IR": [422], "OM": [461], "QA": [466],
    "BH": [408], "KW": [447], "PK": [463], "BD": [405], "LK": [417], "MV": [455], "SC": [664],
    "MU": [645], "KM": [620], "TZ": [677], "KE": [634], "SO": [666], "DJ": [621],
    "YE": [473, 475], "EG": [622], "US": [338, 366, 367, 368, 369], "CA": [316],
    "GB": [232, 233, 234, 235], "DE": [211, 218], "RU": [273], "NL": [244, 245, 246],
    "NO": [257, 258, 259], "DK": [219, 220], "CY": [209, 210, 212],
    "MT": [215, 229, 248, 249, 256], "BS": [308, 309, 311], "BR": [710], "AU": [503],
    "NZ": [512],
}  # fmt: skip


@pytest.mark.parametrize(
    ("mid", "iso2"), [(mid, iso2) for iso2, mids in SPOT_CHECKS.items() for mid in mids]
)
def test_spot_checks(mid: int, iso2: str) -> None:
    flag = flag_for_mid(mid)
    assert flag is not None and flag.iso2 == iso2 and flag.mid == mid


@pytest.mark.parametrize(
    ("mid", "name"),
    [(419, "India"), (431, "Japan"), (636, "Liberia"), (538, "Marshall Islands"),
     (477, "Hong Kong (China)"), (231, "Faroe Islands (Denmark)"), (563, "Singapore")],
)  # fmt: skip
def test_names(mid: int, name: str) -> None:
    assert flag_for_mid(mid) == Flag(mid, mid_table()[mid].iso2, name)


@pytest.mark.parametrize("mid", [200, 217, 221, 260, 280, 300, 302, 400, 474, 500, 600, 700, 776])
def test_unallocated_mids_have_no_flag(mid: int) -> None:
    assert flag_for_mid(mid) is None
    assert flag_of(mid * 1_000_000 + 1) is None


@pytest.mark.parametrize(
    ("mmsi", "iso2", "mid"),
    [
        (419000001, "IN", 419),  # ship MIDXXXXXX
        (431000002, "JP", 431),
        (538006090, "MH", 538),
        (2191000, "DK", 219),  # 002191000: coast station 00MIDXXXX
        (4310001, "JP", 431),
        (41912345, "IN", 419),  # 041912345: group 0MIDXXXXX
        (111232500, "GB", 232),  # SAR aircraft 111MIDXXX
        (992351234, "GB", 235),  # AtoN 99MIDXXXX
        (982191234, "DK", 219),  # craft associated 98MIDXXXX
        (841912345, "IN", 419),  # handheld VHF 8MIDXXXXX
    ],
)
def test_flag_of_every_format(mmsi: int, iso2: str, mid: int) -> None:
    flag = flag_of(mmsi)
    assert flag is not None and (flag.iso2, flag.mid) == (iso2, mid)


@pytest.mark.parametrize(
    "mmsi",
    [970012345, 972012345, 974012345,  # SART, MOB, EPIRB: manufacturer id, no MID
     0, 1193046, 123456789, 111111111, 999999999, 987654321,  # placeholders
     217000001, 1000, 100000000, 961234567, 2**30 - 1, -419000001, 1_419_000_000],
)  # fmt: skip
def test_no_flag(mmsi: int) -> None:
    assert flag_of(mmsi) is None


def test_flags_of_columns_types_and_nulls() -> None:
    mmsi = pa.array([419000001, None, 2191000, 970012345, 123456789, 431000002], pa.uint32())
    table = flags_of(mmsi)
    assert table.schema == pa.schema(
        [("mid", pa.uint16()), ("flag_iso2", pa.string()), ("flag", pa.string())]
    )
    assert table["mid"].to_pylist() == [419, None, 219, None, None, 431]
    assert table["flag_iso2"].to_pylist() == ["IN", None, "DK", None, None, "JP"]
    assert table["flag"].to_pylist() == ["India", None, "Denmark", None, None, "Japan"]


def test_flags_of_accepts_numpy_chunked_and_empty() -> None:
    values = [419000001, 636012345, 5]
    expected = ["IN", "LR", None]
    assert flags_of(np.array(values, dtype=np.int64))["flag_iso2"].to_pylist() == expected
    chunked = pa.chunked_array(
        [pa.array(values[:1], pa.uint32()), pa.array(values[1:], pa.uint32())]
    )
    assert flags_of(chunked)["flag_iso2"].to_pylist() == expected
    assert flags_of(np.array([], dtype=np.uint32)).num_rows == 0


def test_flags_of_does_not_mutate_input() -> None:
    values = np.array([419000001, 2191000], dtype=np.int64)
    flags_of(values)
    assert values.tolist() == [419000001, 2191000]


@pytest.mark.parametrize(
    "bad", [pa.array([1.5]), pa.array(["419000001"]), np.array([1.0]), np.array([True])]
)
def test_flags_of_refuses_non_integers(bad: object) -> None:
    with pytest.raises(ValidationError, match="integer"):
        flags_of(bad)  # type: ignore[arg-type]


_ALLOCATED = sorted(mid_table())
# Structured MMSIs: every format with allocated and unallocated MIDs, plus any 30-bit value.
_mmsis = st.one_of(
    st.integers(-(2**31), 2**32),
    st.builds(
        lambda prefix, mid, rest: int(f"{prefix}{mid:03d}{rest}"[:9].ljust(9, "0")),
        st.sampled_from(["", "0", "00", "111", "8", "98", "99"]),
        st.one_of(st.sampled_from(_ALLOCATED), st.integers(0, 999)),
        st.integers(0, 999_999).map(lambda n: f"{n:06d}"),
    ),
    st.integers(970_000_000, 975_000_000),
)


@given(st.lists(_mmsis, max_size=60))
def test_flags_of_equals_flag_of(values: list[int]) -> None:
    table = flags_of(np.array(values, dtype=np.int64))
    for mmsi, row in zip(values, table.to_pylist(), strict=True):
        flag = flag_of(mmsi)
        expected = (
            {"mid": None, "flag_iso2": None, "flag": None}
            if flag is None
            else {"mid": flag.mid, "flag_iso2": flag.iso2, "flag": flag.name}
        )
        assert row == expected, mmsi
