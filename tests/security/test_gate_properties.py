"""Property tests of the gate (Hypothesis): no allow without clearance and need-to-know, a forbid
never adds an allow, and a batch decides exactly as its objects one by one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from setu.security import equivalence as eq
from setu.security.errors import UnmappedLevelError
from setu.security.gate import (
    Action,
    GatePolicies,
    RequestContext,
    Resource,
    ResourceGroup,
    authorize,
    packaged_sources,
)
from setu.security.labels import Label, Purpose
from setu.security.principals import NEED_TO_KNOW_GROUPS, Principal, PrincipalKind, Role

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
LEVELS = {
    "IND": ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"],
    "JPN": ["UNCLASSIFIED", "秘", "極秘", "特定秘密", "機密"],
    "USA": ["SECRET"],  # a third nation: its levels are never ranked
}
NODES = {"IND": ["ind-mumbai", "ind-delhi"], "JPN": ["jpn-yokosuka"], "USA": ["usa-pearl"]}
NATIONS = ["IND", "JPN", "USA", "AUS"]
PURPOSES = [p.value for p in Purpose]
PROPS = settings(max_examples=300, deadline=None)
FEWER = settings(max_examples=80, deadline=None)  # each example runs many Cedar calls
RARELY = st.sampled_from([False] * 7 + [True])  # so that allows are common enough


def _subset(items: list[str], min_size: int = 0) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(items), min_size=min_size, max_size=len(items))


@st.composite
def labels(draw: st.DrawFn) -> Label:
    nation = draw(st.sampled_from(["IND", "JPN"]))
    return Label(
        originator_nation=nation,
        originator_node=draw(st.sampled_from(NODES[nation])),
        classification=draw(st.sampled_from(LEVELS[nation])),
        releasable_to=draw(_subset(NATIONS)),
        purposes=draw(_subset(PURPOSES, min_size=1)),
        caveats=draw(_subset(["ORCON"])),
        created_at=NOW - timedelta(seconds=draw(st.integers(0, 10))),
    )


@st.composite
def principals(draw: st.DrawFn) -> Principal:
    nation = draw(st.sampled_from(["IND", "JPN", "USA"]))
    return Principal(
        name=draw(st.sampled_from(["asha", "kenji", "node-x"])),
        kind=draw(st.sampled_from(list(PrincipalKind))),
        nation=nation,
        clearance=draw(st.sampled_from(LEVELS[nation])),
        need_to_know=draw(_subset(sorted(NEED_TO_KNOW_GROUPS))),
        roles=frozenset(draw(st.frozensets(st.sampled_from(list(Role))))),
        contractor=draw(RARELY),
        disabled=draw(RARELY),
    )


@st.composite
def contexts(draw: st.DrawFn) -> RequestContext:
    nation = draw(st.sampled_from(["IND", "JPN"]))
    return RequestContext(
        local_nation=nation,
        local_node=draw(st.sampled_from(NODES[nation])),
        now=NOW,
        purpose=draw(st.none() | st.sampled_from(PURPOSES)),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[Principal, Action, Label, RequestContext]:
    """Half of the cases are principals and contexts fitted to the label, so that allows are
    common and the property has something to check."""
    lab = draw(labels())
    action = draw(st.sampled_from(list(Action)))
    if not draw(st.booleans()):
        return draw(principals()), action, lab, draw(contexts())
    nations = sorted(({lab.originator_nation} | lab.releasable_to) & set(LEVELS))
    nation = draw(st.sampled_from(nations))
    groups = frozenset(p.lower() for p in lab.purposes) | draw(_subset(sorted(NEED_TO_KNOW_GROUPS)))
    fitted = Principal(
        name="fitted",
        kind=draw(st.sampled_from([PrincipalKind.USER] * 3 + [PrincipalKind.NODE])),
        nation=nation,
        clearance=LEVELS[nation][-1],
        need_to_know=groups,
        roles=frozenset({Role.RELEASING_OFFICER})
        | draw(st.frozensets(st.sampled_from(list(Role)))),
        contractor=draw(RARELY),
        disabled=draw(RARELY),
    )
    at_originator = draw(st.booleans())
    context = RequestContext(
        local_nation=lab.originator_nation if at_originator else "JPN",
        local_node=lab.originator_node if at_originator else "jpn-yokosuka",
        now=NOW,
        purpose=draw(st.none() | st.sampled_from(sorted(lab.purposes) or PURPOSES)),
    )
    return fitted, action, lab, context


Batch = tuple[Principal, Action, list[Resource], RequestContext]


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    """A case and up to 12 objects (ids may repeat) under its label, variants of it (another
    level) or any label."""
    principal, action, lab, context = draw(cases())
    other_level = st.sampled_from(LEVELS[lab.originator_nation]).map(
        lambda level: replace(lab, classification=level)
    )
    pairs = draw(
        st.lists(
            st.tuples(
                st.text("abcdef", min_size=1, max_size=3), st.just(lab) | other_level | labels()
            ),
            min_size=1,
            max_size=12,
        )
    )
    return principal, action, [Resource(object_id, lb) for object_id, lb in pairs], context


def _rank(nation: str, level: str, ranker: Callable[[str, str], int] = eq.rank) -> int | None:
    try:
        return ranker(nation, level)
    except UnmappedLevelError:
        return None


def _allowed(principal, action, items, context, policies=None) -> frozenset[str]:  # type: ignore[no-untyped-def]
    return authorize(
        principal, action, items, context=context, audit=lambda r: None, policies=policies
    ).allowed_ids


@pytest.mark.unit
@PROPS
@given(cases())
def test_no_allow_without_clearance_and_need_to_know(
    case: tuple[Principal, Action, Label, RequestContext],
) -> None:
    principal, action, lab, context = case
    allowed = bool(_allowed(principal, action, [Resource("x", lab)], context))
    event(f"{action.value} {'allowed' if allowed else 'denied'}")
    if not allowed:
        return
    # A principal and a label of one nation compare on that nation's own ladder, else on the
    # common ladder (equivalence.toml [ladders]).
    ranker = eq.national_rank if principal.nation == lab.originator_nation else eq.rank
    level = _rank(lab.originator_nation, lab.classification, ranker)
    clearance = _rank(principal.nation, principal.clearance, ranker)
    assert level is not None  # an unmapped level is never allowed
    assert lab.policy == "IND-JPN-2015"
    assert not principal.contractor and not principal.disabled
    if clearance is not None:
        assert clearance >= level
    else:  # only a third nation's recipient, on the originator's own approval
        assert principal.nation not in eq.default_table().governments
        assert action in (Action.RELEASE, Action.ONWARD_RELEASE)
    if principal.kind is PrincipalKind.USER:
        assert principal.purposes & lab.purposes
    if context.purpose is not None:
        assert context.purpose in lab.purposes
    if action is Action.RELEASE:
        assert principal.nation in lab.releasable_to and context.purpose is not None
    assert action is not Action.ONWARD_RELEASE  # never without a consent


FORBID_CONDITIONS = st.sampled_from(
    [
        "true",
        'resource.purposes.contains("MDA")',
        'resource.releasable_to.contains("JPN")',
        'resource.caveats.contains("ORCON")',
        "principal.clearance_rank < 4",
        "resource.level_rank >= 2",
        'principal.roles.contains("analyst")',
        'context.purpose == "CT"',
        'principal.nation == "IND"',
    ]
)


@pytest.mark.unit
@FEWER
@given(batches(), FORBID_CONDITIONS)
def test_adding_a_forbid_never_adds_an_allow(batch: Batch, condition: str) -> None:
    principal, action, items, context = batch
    sources, schema = packaged_sources()
    extra = f'@id("extra") forbid (principal, action, resource) when {{ {condition} }};'
    stricter = GatePolicies.from_sources({**sources, "extra.cedar": extra}, schema)
    before = _allowed(principal, action, items, context)
    event("some allowed before" if before else "none allowed before")
    assert _allowed(principal, action, items, context, stricter) <= before


@pytest.mark.unit
@FEWER
@given(batches())
def test_batch_decisions_equal_per_object_decisions(case: Batch) -> None:
    principal, action, items, context = case
    batch = _allowed(principal, action, items, context)
    event("some allowed" if batch else "none allowed")
    denied_somewhere = {r.object_id for r in items if not _allowed(principal, action, [r], context)}
    one_by_one = {r.object_id for r in items} - denied_somewhere
    assert batch == one_by_one
    grouped = [ResourceGroup(r.label, (r.object_id,)) for r in items]
    assert _allowed(principal, action, grouped, context) == batch
