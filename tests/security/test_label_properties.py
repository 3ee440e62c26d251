"""Property tests (Hypothesis) on the label algebra and the equivalence mapping."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from setu.security import equivalence as eq
from setu.security.labels import Label, Originator, Purpose, derive

TABLE = eq.default_table()
MAPPED = [(n, lvl) for row in TABLE.rows for n, names in row.levels.items() for lvl in names]
NATIONS = ["IND", "JPN", "USA", "AUS", "FRA"]
NODES = [Originator("IND", "mumbai"), Originator("IND", "kochi"), Originator("JPN", "yokosuka")]
DERIVER = Originator("JPN", "funabashi")


@st.composite
def labels(draw: st.DrawFn) -> Label:
    origin = draw(st.sampled_from(NODES))
    level = draw(st.sampled_from([lvl for n, lvl in MAPPED if n == origin.nation]))
    return Label(
        originator_nation=origin.nation,
        originator_node=origin.node,
        classification=level,
        releasable_to=draw(st.frozensets(st.sampled_from(NATIONS))),
        purposes=draw(st.frozensets(st.sampled_from([p.value for p in Purpose]))),
        caveats=draw(st.frozensets(st.sampled_from(["ORCON", "NOFORN", "EYES-ONLY"]))),
        created_at=draw(
            st.datetimes(
                min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - Hypothesis bounds are naive
                max_value=datetime(2100, 1, 1),  # noqa: DTZ001
                timezones=st.just(UTC),
            )
        ),
    )


def rank_of(label: Label) -> int:
    return eq.rank(label.originator_nation, label.classification)


@given(st.lists(labels(), min_size=1, max_size=6))
def test_derive_never_widens_nor_lowers(inputs: list[Label]) -> None:
    out = derive(inputs, deriving=DERIVER)
    for label in inputs:
        assert out.releasable_to <= label.releasable_to
        assert out.purposes <= label.purposes
        assert out.caveats >= label.caveats
        assert rank_of(out) >= rank_of(label)
    assert rank_of(out) == max(map(rank_of, inputs))


@given(st.lists(labels(), min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_derive_is_commutative(inputs: list[Label], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(inputs)
    rnd.shuffle(shuffled)
    assert derive(shuffled, deriving=DERIVER) == derive(inputs, deriving=DERIVER)


@given(labels(), labels(), labels())
def test_derive_is_associative(a: Label, b: Label, c: Label) -> None:
    left = derive([derive([a, b], deriving=DERIVER), c], deriving=DERIVER)
    right = derive([a, derive([b, c], deriving=DERIVER)], deriving=DERIVER)
    assert left == right == derive([a, b, c], deriving=DERIVER)


@given(labels())
def test_derive_is_idempotent(a: Label) -> None:
    assert derive([a]) == a
    assert derive([a, a]) == a


@given(labels())
def test_canonical_round_trip(a: Label) -> None:
    assert Label.from_dict(a.to_dict()) == a


@given(st.sampled_from(MAPPED), st.sampled_from(["IND", "JPN"]))
def test_equivalence_round_trips(pair: tuple[str, str], other: str) -> None:
    nation, level = pair
    there = eq.level_at(other, eq.rank(nation, level))
    assert eq.rank(other, there) == eq.rank(nation, level)
    back = eq.level_at(nation, eq.rank(other, there))
    assert eq.rank(nation, back) == eq.rank(nation, level)
    if level == TABLE.row_of(nation, level).levels[nation][0]:
        assert back == level  # the first level of every row round-trips exactly


@given(
    st.sampled_from(["IND", "JPN", "USA", "KOR"]),
    st.text(min_size=1, max_size=12),
)
def test_unmapped_never_maps(nation: str, level: str) -> None:
    if (nation, level) in MAPPED:
        return
    try:
        eq.rank(nation, level)
    except eq.UnmappedLevelError:
        return
    raise AssertionError(f"{nation} {level!r} mapped without a row")
