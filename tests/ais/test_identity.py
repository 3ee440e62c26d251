"""MMSI kinds (ITU-R M.585-9) and IMO check digits (IMO Resolution A.1117(30))."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from setu.ais.identity import (
    PLACEHOLDER_MMSIS,
    MmsiKind,
    imo_valid,
    imo_valid_array,
    mid_of,
    mids_of,
    mmsi_kind,
    mmsi_kinds,
)
from setu.ais.mid import mid_table
from setu.errors import ValidationError

pytestmark = pytest.mark.unit

K = MmsiKind


@pytest.mark.parametrize(
    ("mmsi", "kind", "mid"),
    [
        (419000001, K.SHIP, 419),
        (232001234, K.SHIP, 232),
        (775999999, K.SHIP, 775),
        (201000000, K.SHIP, 201),
        (41912345, K.GROUP, 419),  # 041912345: an 8-digit integer is 0MIDXXXXX
        (2191000, K.COAST_STATION, 219),  # 002191000: a 7-digit integer is 00MIDXXXX
        (4190001, K.COAST_STATION, 419),
        (111232500, K.SAR_AIRCRAFT, 232),
        (111419123, K.SAR_AIRCRAFT, 419),
        (992351234, K.AID_TO_NAVIGATION, 235),
        (994196001, K.AID_TO_NAVIGATION, 419),
        (982191234, K.CRAFT_ASSOCIATED, 219),
        (841912345, K.HANDHELD, 419),
        (970012345, K.SART, None),
        (970999999, K.SART, None),
        (972012345, K.MOB, None),
        (974012345, K.EPIRB, None),
    ],
)
def test_every_format(mmsi: int, kind: MmsiKind, mid: int | None) -> None:
    assert mmsi_kind(mmsi) is kind
    assert mid_of(mmsi) == mid


@pytest.mark.parametrize(
    "mmsi",
    [
        -1,  # rule 1: not nine digits
        1_000_000_000,
        2**30 - 1,
        100000000,  # rule 2: no format starts with 1 other than 111
        110232500,
        112232500,
        961234567,  # 9… other than 970/972/974/98/99
        971012345,
        973012345,
        975012345,
        1000,  # 000001000: MID position starts with 0
        41000,
        190000000,
        217000001,  # rule 3: MID 217 not allocated
        2171000,
        21712345,
        111217000,
        992171234,
        821712345,
        302000001,
    ],
)
def test_invalid(mmsi: int) -> None:
    assert mmsi_kind(mmsi) is K.INVALID
    assert mid_of(mmsi) is None


@pytest.mark.parametrize("mmsi", sorted(PLACEHOLDER_MMSIS))
def test_placeholders_are_invalid(mmsi: int) -> None:
    assert mmsi_kind(mmsi) is K.INVALID


def test_placeholders_listed_in_the_brief() -> None:
    assert {0, 1193046, 123456789, 111111111, 999999999} <= PLACEHOLDER_MMSIS


def test_placeholders_that_formats_would_accept() -> None:
    # 987654321 reads as craft associated + MID 765 (Suriname); 555555555 as a ship of MID 555.
    assert 765 in mid_table() and 555 in mid_table()
    assert mmsi_kind(987654322) is K.CRAFT_ASSOCIATED
    assert mmsi_kind(555555556) is K.SHIP


def test_kind_values() -> None:
    assert [k.value for k in MmsiKind] == [
        "ship", "group", "coast_station", "sar_aircraft", "aid_to_navigation",
        "craft_associated", "handheld", "sart", "mob", "epirb", "invalid",
    ]  # fmt: skip


def test_numpy_integer_is_accepted_and_non_integers_refused() -> None:
    assert mmsi_kind(np.uint32(419000001)) is K.SHIP  # type: ignore[arg-type]
    for bad in ("419000001", 419000001.0, None, True):
        with pytest.raises(ValidationError, match="integer"):
            mmsi_kind(bad)  # type: ignore[arg-type]


def test_mmsi_kinds_arrow_with_nulls() -> None:
    mmsi = pa.array([419000001, None, 2191000, 970012345, 123456789], pa.uint32())
    kinds = mmsi_kinds(mmsi)
    assert kinds.type == pa.string()
    assert kinds.to_pylist() == ["ship", None, "coast_station", "sart", "invalid"]
    mids, present = mids_of(mmsi)
    assert mids.tolist() == [419, -1, 219, -1, -1]
    assert present.tolist() == [True, False, True, False, False]


def test_mmsi_kinds_uint64_beyond_int64_is_invalid() -> None:
    values = np.array([2**64 - 1, 2**63, 419000001], dtype=np.uint64)
    assert mmsi_kinds(values).to_pylist() == ["invalid", "invalid", "ship"]


# Structured MMSIs: every format with allocated and unallocated MIDs, plus any integer.
_mmsis = st.one_of(
    st.integers(-(2**40), 2**40),
    st.integers(0, 999_999_999),
    st.builds(
        lambda prefix, mid, rest: int(f"{prefix}{mid:03d}{rest:06d}"[:9]),
        st.sampled_from(["", "0", "00", "111", "8", "98", "99"]),
        st.one_of(st.sampled_from(sorted(mid_table())), st.integers(0, 999)),
        st.integers(0, 999_999),
    ),
    st.integers(969_000_000, 976_000_000),
    st.sampled_from(sorted(PLACEHOLDER_MMSIS)),
)


@given(st.lists(_mmsis, max_size=60))
def test_mmsi_kinds_equals_mmsi_kind(values: list[int]) -> None:
    arrow = pa.array(values, pa.int64())
    assert mmsi_kinds(arrow).to_pylist() == [mmsi_kind(v).value for v in values]
    mids, present = mids_of(np.array(values, dtype=np.int64))
    expected = [mid_of(v) for v in values]
    assert [int(m) if p else None for m, p in zip(mids, present, strict=True)] == expected


# IMO numbers: 9074729 is the worked example of the scheme; the others are real ships
# (Ever Given, Emma Maersk, Queen Mary 2, Exxon Valdez).
@pytest.mark.parametrize("imo", [9074729, 9811000, 9321483, 9241061, 8414520])
def test_imo_valid(imo: int) -> None:
    assert imo_valid(imo)


@pytest.mark.parametrize(
    "imo", [9074728, 9074720, 9811001, 9321484, 0, None, 999999, 10_000_000, -9074729, True]
)
def test_imo_invalid(imo: int | None) -> None:
    assert not imo_valid(imo)


def test_imo_check_digit_is_the_weighted_sum() -> None:
    # 9·7 + 0·6 + 7·5 + 4·4 + 7·3 + 2·2 = 139 → check digit 9; every other last digit fails.
    assert [d for d in range(10) if imo_valid(907472 * 10 + d)] == [9]


def test_imo_valid_array_nulls_are_false() -> None:
    out = imo_valid_array(pa.array([9074729, None, 9074728, 0, 9811000], pa.uint32()))
    assert out.type == pa.bool_()
    assert out.to_pylist() == [True, False, False, False, True]


def test_imo_valid_array_refuses_floats() -> None:
    with pytest.raises(ValidationError, match="integer"):
        imo_valid_array(pa.array([9074729.0]))


@given(
    st.lists(
        st.one_of(st.integers(-(2**33), 2**33), st.integers(1_000_000, 9_999_999), st.none()),
        max_size=60,
    )
)
def test_imo_valid_array_equals_imo_valid(values: list[int | None]) -> None:
    out = imo_valid_array(pa.array(values, pa.int64()))
    assert out.to_pylist() == [imo_valid(v) for v in values]
