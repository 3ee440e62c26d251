"""Changing a classification: only the originator issues a notice, signed by its node; the
recipient verifies and applies it to what it holds, with a record (Art 6(g) [T], R11)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from setu.db import Database
from setu.security.audit import AuditLog, EntryKind
from setu.security.errors import AccessDenied, NoticeError, UnmappedLevelError
from setu.security.labels import Label
from setu.security.node import TrustedKey
from setu.security.principals import Principal, PrincipalStore
from setu.security.reclassify import (
    ReclassificationNotice,
    Reclassifier,
    SignedNotice,
    sign_notice,
)
from setu.security.release import Office
from setu.security.release_rules import ObjectKind, ReleaseItem
from setu.security.retention import Holdings

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
IND_NODE, JPN_NODE = "ind-mumbai", "jpn-yokosuka"
IND_KEY = Ed25519PrivateKey.generate()
JPN_KEY = Ed25519PrivateKey.generate()
TRUSTED = {
    IND_NODE: TrustedKey("IND", IND_NODE, "ind-key", IND_KEY.public_key()),
    JPN_NODE: TrustedKey("JPN", JPN_NODE, "jpn-key", JPN_KEY.public_key()),
}


def label(**changes: Any) -> Label:
    fields: dict[str, Any] = {
        "originator_nation": "IND",
        "originator_node": IND_NODE,
        "classification": "SECRET",
        "releasable_to": frozenset({"IND", "JPN"}),
        "purposes": frozenset({"MDA"}),
        "caveats": frozenset(),
        "created_at": NOW - timedelta(hours=1),
    }
    fields.update(changes)
    return Label(**fields)


def officer(people: PrincipalStore, name: str, nation: str, clearance: str) -> Principal:
    return people.add_user(
        name, nation=nation, clearance=clearance, groups=["mda"], roles=["releasing_officer"]
    )


@pytest.fixture
def sides(db: Database) -> dict[str, Any]:
    """The originator (IND) and the recipient (JPN) sharing one database for the test."""
    log = AuditLog(db, IND_KEY, lambda: NOW, head_every_entries=1000, head_every_s=3600)
    people = PrincipalStore(db, clock=lambda: NOW)
    ind = Office(db, log, "IND", IND_NODE, lambda: NOW)
    jpn = Office(db, log, "JPN", JPN_NODE, lambda: NOW)
    return {
        "ind": Reclassifier(ind, TRUSTED),
        "jpn": Reclassifier(jpn, TRUSTED),
        "holdings": Holdings(jpn),
        "ravi": officer(people, "ravi", "IND", "SECRET"),
        "kenji": officer(people, "kenji", "JPN", "極秘"),
        "analyst": people.add_user(
            "asha", nation="IND", clearance="SECRET", groups=["mda"], roles=["analyst"]
        ),
        "log": log,
    }


def hold(holdings: Holdings, object_id: str, lb: Label) -> None:
    digest = hashlib.sha256(object_id.encode()).hexdigest()
    holdings.receive(
        ReleaseItem(ObjectKind.TRACK, object_id, lb, digest), purpose="MDA", source_node=IND_NODE
    )


@pytest.mark.unit
def test_originator_notice_is_applied_by_the_recipient_with_a_record(sides: dict[str, Any]) -> None:
    hold(sides["holdings"], "t1", label())
    signed = sides["ind"].issue(sides["ravi"], IND_KEY, [("t1", label())], "CONFIDENTIAL")
    [done] = sides["jpn"].apply("kenji", signed.to_json())
    assert (done.old_label.classification, done.new_label.classification) == (
        "SECRET",
        "CONFIDENTIAL",
    )
    assert done.new_label.originator_nation == "IND"  # only the classification changes
    held = sides["holdings"].get(sides["kenji"], "t1")
    assert held.label.classification == "CONFIDENTIAL"
    entries = sides["log"].entries(kind=EntryKind.RECLASSIFICATION, newest_first=False)
    assert [e.record["action"] for e in entries] == ["reclassify_issue", "reclassify_apply"]
    assert sides["jpn"].apply("kenji", signed.to_json()) == []  # applied once


@pytest.mark.unit
def test_non_originator_cannot_issue_a_notice(sides: dict[str, Any]) -> None:
    jp_label = label(originator_nation="JPN", originator_node=JPN_NODE, classification="極秘")
    with pytest.raises(AccessDenied):
        sides["ind"].issue(sides["ravi"], IND_KEY, [("j1", jp_label)], "CONFIDENTIAL")


@pytest.mark.unit
def test_only_a_releasing_officer_issues(sides: dict[str, Any]) -> None:
    with pytest.raises(AccessDenied):
        sides["ind"].issue(sides["analyst"], IND_KEY, [("t1", label())], "CONFIDENTIAL")


@pytest.mark.unit
def test_notice_from_the_wrong_node_is_refused_and_nothing_applied(sides: dict[str, Any]) -> None:
    hold(sides["holdings"], "t1", label())
    # JPN's node signs (validly, with its own key) a notice for an IND-originated object
    notice = ReclassificationNotice(
        notice_id="a" * 32,
        originator_nation="JPN",
        originator_node=JPN_NODE,
        object_ids=frozenset({"t1"}),
        new_classification="秘",
        issued_at=NOW,
    )
    with pytest.raises(NoticeError, match="did not originate"):
        sides["jpn"].apply("kenji", sign_notice(notice, JPN_KEY).to_json())
    assert sides["holdings"].get(sides["kenji"], "t1").label.classification == "SECRET"


@pytest.mark.unit
def test_forged_notice_is_refused(sides: dict[str, Any]) -> None:
    hold(sides["holdings"], "t1", label())
    notice = ReclassificationNotice(
        notice_id="b" * 32,
        originator_nation="IND",
        originator_node=IND_NODE,
        object_ids=frozenset({"t1"}),
        new_classification="UNCLASSIFIED",
        issued_at=NOW,
    )
    with pytest.raises(NoticeError, match="forged"):  # claims IND's node, signed by JPN's key
        sides["jpn"].apply("kenji", sign_notice(notice, JPN_KEY).to_json())
    signed = sign_notice(notice, IND_KEY)
    doc = json.loads(signed.to_json())
    doc["notice"]["new_classification"] = "UNCLASSIFIED"
    doc["notice"]["object_ids"] = ["t1", "t2"]  # altered after signing
    with pytest.raises(NoticeError, match="forged"):
        sides["jpn"].apply("kenji", json.dumps(doc))
    assert sides["holdings"].get(sides["kenji"], "t1").label.classification == "SECRET"


@pytest.mark.unit
def test_notice_naming_a_node_of_another_nation_is_refused(sides: dict[str, Any]) -> None:
    notice = ReclassificationNotice(
        notice_id="c" * 32,
        originator_nation="USA",
        originator_node=IND_NODE,
        object_ids=frozenset({"t1"}),
        new_classification="UNCLASSIFIED",
        issued_at=NOW,
    )
    with pytest.raises(NoticeError, match="trusted as a node of IND"):
        sides["jpn"].apply("kenji", sign_notice(notice, IND_KEY).to_json())


@pytest.mark.unit
def test_unmapped_new_level_is_refused(sides: dict[str, Any]) -> None:
    with pytest.raises(UnmappedLevelError):
        sides["ind"].issue(sides["ravi"], IND_KEY, [("t1", label())], "RESTRICTED")


@pytest.mark.unit
def test_history_hides_what_the_viewer_may_not_read(sides: dict[str, Any], db: Database) -> None:
    hold(sides["holdings"], "t1", label())
    signed = sides["ind"].issue(sides["ravi"], IND_KEY, [("t1", label())], "CONFIDENTIAL")
    sides["jpn"].apply("kenji", signed.to_json())
    low = PrincipalStore(db, clock=lambda: NOW).add_user(
        "lata", nation="IND", clearance="CONFIDENTIAL", groups=["mda"], roles=["analyst"]
    )
    assert sides["jpn"].history(low) == []  # it was SECRET: the old label still protects it
    assert len(sides["jpn"].history(sides["ravi"])) == 1


@pytest.mark.unit
def test_signed_notice_round_trips() -> None:
    notice = ReclassificationNotice(
        notice_id="d" * 32,
        originator_nation="IND",
        originator_node=IND_NODE,
        object_ids=frozenset({"t1"}),
        new_classification="CONFIDENTIAL",
        issued_at=NOW,
    )
    signed = sign_notice(notice, IND_KEY)
    assert SignedNotice.from_json(signed.to_json()) == signed
    with pytest.raises(NoticeError):
        SignedNotice.from_json('{"notice": {}, "signature": ""}')
