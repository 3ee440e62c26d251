"""National ladders at the gate: a principal and a label of the same nation compare on that
nation's own ladder (an Indian RESTRICTED label is readable by an Indian reader cleared for it);
across nations the equivalence table decides and an unmapped level is still denied."""

from __future__ import annotations

import pytest
from tests.security.test_gate import JPN_NODE, ctx, label, node, user

from setu.security.gate import Action, DecisionRecord, Resource, authorize
from setu.security.labels import Label
from setu.security.principals import Principal

IND_RESTRICTED = label(classification="RESTRICTED")


def jpn_label(level: str) -> Label:
    return label(originator_nation="JPN", originator_node=JPN_NODE, classification=level)


def decide(principal: Principal, action: Action, lab: Label, **context: str) -> tuple[bool, str]:
    records: list[DecisionRecord] = []
    decisions = authorize(
        principal,
        action,
        [Resource("obj", lab)],
        context=ctx(**context),
        audit=records.append,
    )
    return decisions.is_allowed("obj"), ",".join(decisions.groups[0].reasons)


@pytest.mark.unit
@pytest.mark.parametrize("clearance", ["RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"])
def test_an_indian_reader_reads_indian_restricted(clearance: str) -> None:
    assert decide(user(clearance=clearance), Action.READ, IND_RESTRICTED) == (True, "permit-read")


@pytest.mark.unit
def test_indian_ladder_orders_restricted_below_confidential() -> None:
    allowed, reason = decide(
        user(clearance="RESTRICTED"), Action.READ, label(classification="CONFIDENTIAL")
    )
    assert (allowed, reason) == (False, "R8-clearance")
    assert not decide(user(clearance="UNCLASSIFIED"), Action.READ, IND_RESTRICTED)[0]


@pytest.mark.unit
def test_a_japanese_reader_is_still_denied_indian_restricted() -> None:
    kenji = user(name="kenji", nation="JPN", clearance="機密")
    assert decide(kenji, Action.READ, IND_RESTRICTED) == (False, "R3-unmapped-level")


@pytest.mark.unit
def test_release_of_indian_restricted_to_japan_stays_denied() -> None:
    jpn = node("JPN", JPN_NODE, "機密")
    assert decide(jpn, Action.RELEASE, IND_RESTRICTED, purpose="MDA") == (
        False,
        "R3-unmapped-level",
    )
    # the same release at CONFIDENTIAL is allowed: only the unmapped level refuses
    assert decide(jpn, Action.RELEASE, label(classification="CONFIDENTIAL"), purpose="MDA")[0]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("clearance", "level", "allowed"),
    [
        ("秘", "秘", True),
        ("秘", "極秘", False),
        ("極秘", "特定秘密", True),  # one step of Japan's ladder
        ("特定秘密", "極秘", True),
        ("極秘", "機密", False),
        ("機密", "機密", True),
        ("UNCLASSIFIED", "秘", False),
    ],
)
def test_japanese_ladder_for_japanese_readers(clearance: str, level: str, allowed: bool) -> None:
    kenji = user(name="kenji", nation="JPN", clearance=clearance)
    got, reason = decide(kenji, Action.READ, jpn_label(level), local_nation="JPN",
                         local_node=JPN_NODE)  # fmt: skip
    assert got is allowed
    assert reason == ("permit-read" if allowed else "R8-clearance")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("clearance", "level", "allowed"),
    [("SECRET", "極秘", True), ("SECRET", "機密", False), ("CONFIDENTIAL", "極秘", False)],
)
def test_across_nations_the_common_ladder_decides(
    clearance: str, level: str, allowed: bool
) -> None:
    assert decide(user(clearance=clearance), Action.READ, jpn_label(level))[0] is allowed


@pytest.mark.unit
def test_an_indian_restricted_clearance_reads_no_japanese_data() -> None:
    allowed, reason = decide(user(clearance="RESTRICTED"), Action.READ, jpn_label("UNCLASSIFIED"))
    assert (allowed, reason) == (False, "R3-unmapped-clearance")


@pytest.mark.unit
def test_the_audit_record_carries_both_ranks() -> None:
    records: list[DecisionRecord] = []
    authorize(
        user(), Action.READ, [Resource("obj", IND_RESTRICTED)], context=ctx(), audit=records.append
    )
    facts = records[0].to_dict()["label"]
    assert (facts["level_rank"], facts["national_rank"]) == (None, 1)
