"""Loss or compromise: a signed notice to each originator, due immediately, overdue until sent,
in the disclosure log; only objects the reporter may read (Art 17 [T], R13)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from setu.db import Database
from setu.security.audit import AuditLog, EntryKind
from setu.security.compromise import SIGNING_CONTEXT, CompromiseDesk
from setu.security.errors import (
    CompromiseNotFoundError,
    HeldItemNotFoundError,
    InvalidRequestError,
)
from setu.security.labels import Label, canonical_json
from setu.security.principals import PrincipalStore
from setu.security.release import Office
from setu.security.release_rules import ObjectKind, ReleaseItem

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def item(object_id: str, node: str = "jpn-yokosuka", level: str = "秘") -> ReleaseItem:
    lb = Label(
        originator_nation="JPN",
        originator_node=node,
        classification=level,
        releasable_to=frozenset({"IND", "JPN"}),
        purposes=frozenset({"MDA"}),
        caveats=frozenset(),
        created_at=NOW - timedelta(days=1),
    )
    return ReleaseItem(
        ObjectKind.EVENT, object_id, lb, hashlib.sha256(object_id.encode()).hexdigest()
    )


@pytest.fixture
def setup(db: Database) -> dict[str, Any]:
    clock = Clock(NOW)
    log = AuditLog(db, KEY, clock, head_every_entries=1000, head_every_s=3600)
    people = PrincipalStore(db, clock=clock)
    desk = CompromiseDesk(Office(db, log, "IND", "ind-mumbai", clock))
    for object_id, node in (("e1", "jpn-yokosuka"), ("e2", "jpn-kure"), ("e3", "jpn-yokosuka")):
        desk.holdings.receive(item(object_id, node), purpose="MDA", source_node=node)
    desk.holdings.receive(item("s1", level="極秘"), purpose="MDA", source_node="jpn-yokosuka")
    return {
        "clock": clock,
        "log": log,
        "desk": desk,
        "asha": people.add_user(
            "asha", nation="IND", clearance="CONFIDENTIAL", groups=["mda"], roles=["analyst"]
        ),
        "ravi": people.add_user(
            "ravi", nation="IND", clearance="SECRET", groups=["mda"], roles=["releasing_officer"]
        ),
    }


@pytest.mark.unit
def test_report_creates_one_signed_notice_per_originator(setup: dict[str, Any]) -> None:
    desk: CompromiseDesk = setup["desk"]
    notices = desk.report(setup["asha"], KEY, ["e1", "e2", "e3"], "laptop lost in transit")
    assert [(n.originator_node, n.object_ids) for n in notices] == [
        ("jpn-kure", ("e2",)),
        ("jpn-yokosuka", ("e1", "e3")),
    ]
    notice = notices[1]
    assert notice.notify_by == notice.reported_at == NOW  # "immediately"
    doc = json.loads(notice.document)
    sig = base64.urlsafe_b64decode(doc["signature"] + "=" * (-len(doc["signature"]) % 4))
    KEY.public_key().verify(sig, SIGNING_CONTEXT + canonical_json(doc["notice"]))
    assert doc["notice"]["originator_node"] == "jpn-yokosuka"
    entry = setup["log"].get(notice.audit_index).record
    assert (entry["kind"], entry["recipient"], entry["object_ids"]) == (
        "compromise",
        "JPN",
        ["e1", "e3"],
    )


@pytest.mark.unit
def test_unsent_notice_is_overdue_until_marked_sent(setup: dict[str, Any]) -> None:
    desk: CompromiseDesk = setup["desk"]
    [notice] = desk.report(setup["asha"], KEY, ["e1"], "possible compromise")
    setup["clock"].at = NOW + timedelta(minutes=10)
    [listed] = desk.notices(setup["asha"])
    assert listed.overdue_s(setup["clock"].at) == 600
    sent = desk.mark_sent(setup["asha"], notice.notice_id)
    assert sent.notified_at == NOW + timedelta(minutes=10)
    assert sent.overdue_s(NOW + timedelta(days=1)) == 0
    actions = [e.record["action"] for e in setup["log"].entries(kind=EntryKind.COMPROMISE)]
    assert actions == ["compromise_notified", "compromise_report"]


@pytest.mark.unit
def test_reporter_cannot_name_objects_they_may_not_read(setup: dict[str, Any]) -> None:
    desk: CompromiseDesk = setup["desk"]
    with pytest.raises(HeldItemNotFoundError) as forbidden:
        desk.report(setup["asha"], KEY, ["e1", "s1"], "lost")  # s1 is 極秘: above CONFIDENTIAL
    with pytest.raises(HeldItemNotFoundError) as unknown:
        desk.report(setup["asha"], KEY, ["e1", "zz"], "lost")
    assert str(forbidden.value).replace("s1", "zz") == str(unknown.value)
    assert desk.notices(setup["ravi"]) == []  # nothing half-reported


@pytest.mark.unit
def test_listing_hides_notices_about_what_the_viewer_may_not_read(setup: dict[str, Any]) -> None:
    desk: CompromiseDesk = setup["desk"]
    [notice] = desk.report(setup["ravi"], KEY, ["s1"], "lost")
    assert desk.notices(setup["asha"]) == []
    with pytest.raises(CompromiseNotFoundError):
        desk.mark_sent(setup["asha"], notice.notice_id)
    assert len(desk.notices(setup["ravi"])) == 1


@pytest.mark.unit
def test_report_needs_objects_and_details(setup: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError):
        setup["desk"].report(setup["asha"], KEY, [], "lost")
    with pytest.raises(InvalidRequestError):
        setup["desk"].report(setup["asha"], KEY, ["e1"], "  ")
