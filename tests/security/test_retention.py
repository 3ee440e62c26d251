"""Holdings and their return or destruction: retention per purpose, a destruction record in
the disclosure log whose inclusion proof verifies (Art 6(h) [T], R12), and a register that
shows only what a viewer may read."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from setu.db import Database
from setu.security.audit import AuditLog, EntryKind
from setu.security.audit_proof import verify_proof_document
from setu.security.errors import (
    AccessDenied,
    HeldItemNotFoundError,
    InvalidRequestError,
    RetentionError,
)
from setu.security.labels import Label
from setu.security.principals import PrincipalStore
from setu.security.release import Office
from setu.security.release_rules import ObjectKind, ReleaseItem
from setu.security.retention import HeldItem, Retention

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
JPN_NODE = "jpn-yokosuka"
KEY = Ed25519PrivateKey.generate()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def label(**changes: Any) -> Label:
    fields: dict[str, Any] = {
        "originator_nation": "JPN",
        "originator_node": JPN_NODE,
        "classification": "秘",
        "releasable_to": frozenset({"IND", "JPN"}),
        "purposes": frozenset({"MDA", "HADR"}),
        "caveats": frozenset(),
        "created_at": NOW - timedelta(days=1),
    }
    fields.update(changes)
    return Label(**fields)


def received(object_id: str, **changes: Any) -> ReleaseItem:
    digest = hashlib.sha256(object_id.encode()).hexdigest()
    return ReleaseItem(ObjectKind.EVENT, object_id, label(**changes), digest)


@pytest.fixture
def setup(db: Database) -> dict[str, Any]:
    clock = Clock(NOW)
    log = AuditLog(db, KEY, clock, head_every_entries=1000, head_every_s=3600)
    people = PrincipalStore(db, clock=clock)
    retention = Retention(Office(db, log, "IND", "ind-mumbai", clock))
    return {
        "clock": clock,
        "log": log,
        "retention": retention,
        "officer": people.add_user(
            "ravi",
            nation="IND",
            clearance="SECRET",
            groups=["mda", "hadr"],
            roles=["releasing_officer"],
        ),
        "analyst": people.add_user(
            "asha", nation="IND", clearance="SECRET", groups=["mda"], roles=["analyst"]
        ),
        "low": people.add_user(
            "lata", nation="IND", clearance="UNCLASSIFIED", groups=["mda"], roles=["analyst"]
        ),
    }


@pytest.mark.unit
def test_expired_holding_is_destroyed_with_a_provable_record(setup: dict[str, Any]) -> None:
    retention: Retention = setup["retention"]
    retention.set_period(setup["officer"], "MDA", 30)
    retention.holdings.receive(received("e1"), purpose="MDA", source_node=JPN_NODE)
    retention.holdings.receive(received("e2"), purpose="HADR", source_node=JPN_NODE)
    setup["clock"].at = NOW + timedelta(days=29)
    deleted: list[HeldItem] = []
    assert retention.run("ravi", deleted.append) == []  # not yet
    setup["clock"].at = NOW + timedelta(days=30)
    [record] = retention.run("ravi", deleted.append)
    assert [d.object_id for d in deleted] == ["e1"]
    assert (record.object_id, record.retention_days, record.destroyed_by) == ("e1", 30, "ravi")
    expired, unset = retention.due()
    assert expired == [] and [i.object_id for i in unset] == ["e2"]  # HADR: no period set
    log: AuditLog = setup["log"]
    entry = log.get(record.audit_index).record
    assert (entry["kind"], entry["action"], entry["object_ids"]) == (
        "destruction",
        "destroy",
        ["e1"],
    )
    pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    verify_proof_document(log.prove(record.audit_index), pem)  # an outsider can check it
    assert retention.holdings.visible(setup["officer"])[0].object_id == "e2"
    assert [d.object_id for d in retention.destructions(setup["officer"])] == ["e1"]
    assert retention.run("ravi", deleted.append) == []  # destroyed once


@pytest.mark.unit
def test_failed_deletion_records_nothing(setup: dict[str, Any]) -> None:
    retention: Retention = setup["retention"]
    retention.set_period(setup["officer"], "MDA", 1)
    retention.holdings.receive(received("e1"), purpose="MDA", source_node=JPN_NODE)
    setup["clock"].at = NOW + timedelta(days=2)

    def broken(_: HeldItem) -> None:
        raise OSError("disk")

    with pytest.raises(OSError):
        retention.run("ravi", broken)
    assert setup["log"].entries(kind=EntryKind.DESTRUCTION, limit=10)[0].record["action"] == (
        "retention_set"
    )
    assert len(retention.due()[0]) == 1


@pytest.mark.unit
def test_receiving_for_a_purpose_the_label_lacks_is_refused(setup: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError, match="R7"):
        setup["retention"].holdings.receive(received("e1"), purpose="CT", source_node=JPN_NODE)


@pytest.mark.unit
def test_only_officers_set_retention_and_periods_are_checked(setup: dict[str, Any]) -> None:
    retention: Retention = setup["retention"]
    with pytest.raises(AccessDenied):
        retention.set_period(setup["analyst"], "MDA", 30)
    for purpose, days in (("XYZ", 30), ("MDA", 0), ("MDA", True), ("MDA", 10**6)):
        with pytest.raises(RetentionError):
            retention.set_period(setup["officer"], purpose, days)
    assert retention.periods() == {}
    retention.set_period(setup["officer"], "MDA", 30)
    retention.set_period(setup["officer"], "MDA", 60)
    assert retention.periods() == {"MDA": 60}


@pytest.mark.unit
def test_register_hides_what_the_viewer_may_not_read(setup: dict[str, Any]) -> None:
    holdings = setup["retention"].holdings
    holdings.receive(received("e1"), purpose="MDA", source_node=JPN_NODE)
    assert holdings.visible(setup["low"]) == []
    with pytest.raises(HeldItemNotFoundError) as forbidden:
        holdings.get(setup["low"], "e1")
    with pytest.raises(HeldItemNotFoundError) as unknown:
        holdings.get(setup["low"], "zz")
    assert str(forbidden.value).replace("e1", "zz") == str(unknown.value)
    assert holdings.get(setup["analyst"], "e1").label == label()  # kept as received (R2)
