"""Release to the partner and onward release to a third nation: standing rules, the queue,
officer approval, purpose limitation and consents (issue 8 "Release", "Third parties",
"Purpose limitation"; reference notes R5-R7, R15). Each rule has a test that fails without it;
every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from setu.db import Database
from setu.security.audit import AuditLog, EntryKind
from setu.security.consent import SignedConsent, new_consent, sign_consent
from setu.security.errors import (
    AccessDenied,
    ConsentError,
    ConsentExpiredError,
    ReleaseRequestNotFoundError,
    ReleaseRuleError,
    ReleaseStateError,
)
from setu.security.labels import Label
from setu.security.models_release import ReleaseState
from setu.security.node import TrustedKey
from setu.security.principals import Principal, PrincipalStore
from setu.security.release import OFFICER_APPROVAL, Office, ReleaseDesk
from setu.security.release_rules import BBox, ObjectKind, ReleaseItem

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
IND_NODE, JPN_NODE = "ind-mumbai", "jpn-yokosuka"
IND_KEY = Ed25519PrivateKey.generate()
JPN_KEY = Ed25519PrivateKey.generate()
TRUSTED = {
    IND_NODE: TrustedKey("IND", IND_NODE, "ind-key", IND_KEY.public_key()),
    JPN_NODE: TrustedKey("JPN", JPN_NODE, "jpn-key", JPN_KEY.public_key()),
}


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class World:
    desk: ReleaseDesk
    log: AuditLog
    people: PrincipalStore
    clock: Clock
    officer: Principal
    analyst: Principal
    jpn: Principal
    usa: Principal


def label(**changes: Any) -> Label:
    fields: dict[str, Any] = {
        "originator_nation": "IND",
        "originator_node": IND_NODE,
        "classification": "UNCLASSIFIED",
        "releasable_to": frozenset({"IND", "JPN"}),
        "purposes": frozenset({"MDA"}),
        "caveats": frozenset(),
        "created_at": NOW - timedelta(hours=1),
    }
    fields.update(changes)
    return Label(**fields)


def item(object_id: str, kind: str = "position", **label_changes: Any) -> ReleaseItem:
    return ReleaseItem(
        ObjectKind(kind),
        object_id,
        label(**label_changes),
        hashlib.sha256(object_id.encode()).hexdigest(),
        lon=72.8,
        lat=18.9,
        observed_at=NOW - timedelta(minutes=30),
    )


@pytest.fixture
def world(db: Database) -> World:
    clock = Clock(NOW)
    log = AuditLog(db, IND_KEY, clock, head_every_entries=1000, head_every_s=3600)
    people = PrincipalStore(db, clock=clock)
    officer = people.add_user(
        "ravi", nation="IND", clearance="SECRET", groups=["mda"], roles=["releasing_officer"]
    )
    analyst = people.add_user(
        "asha", nation="IND", clearance="SECRET", groups=["mda"], roles=["analyst"]
    )
    jpn = people.add_node(JPN_NODE, nation="JPN", clearance="極秘")
    usa = people.add_node("usa-pearl", nation="USA", clearance="SECRET")
    office = Office(db, log, "IND", IND_NODE, clock)
    desk = ReleaseDesk(office, TRUSTED)
    return World(desk, log, people, clock, officer, analyst, jpn, usa)


def unclassified_rule(w: World, **kw: Any) -> None:
    fields: dict[str, Any] = {
        "object_kind": "position",
        "max_level": "UNCLASSIFIED",
        "nations": ["JPN"],
        "purposes": ["MDA"],
        "bbox": BBox(60.0, 0.0, 100.0, 30.0),
        "valid_from": NOW - timedelta(days=1),
        "valid_until": NOW + timedelta(days=1),
    }
    fields.update(kw)
    w.desk.add_rule(w.officer, **fields)


def kinds(log: AuditLog, kind: EntryKind) -> list[dict[str, Any]]:
    return [r.record for r in log.entries(kind=kind, limit=1000, newest_first=False)]


# --- standing rules -----------------------------------------------------------------------


@pytest.mark.unit
def test_standing_rule_releases_matching_item_with_rule_id_and_audit(world: World) -> None:
    unclassified_rule(world)
    [req] = world.desk.submit(world.analyst, [item("p1")], recipient=world.jpn, purpose="MDA")
    assert req.state is ReleaseState.RELEASED
    assert req.rule == "standing-rule:1"
    assert (req.requested_by, req.recipient_nation) == ("asha", "JPN")
    entry = world.log.get(req.audit_index or 0).record
    assert (entry["kind"], entry["action"], entry["rule"]) == ("release", "release", req.rule)
    assert entry["object_ids"] == ["p1"] and entry["recipient"] == "JPN"


@pytest.mark.unit
@pytest.mark.parametrize(
    "changes",
    [
        {"classification": "CONFIDENTIAL"},  # above the rule's ceiling
        {"purposes": frozenset({"MDA", "CT"})},  # matches: purposes list MDA
    ],
    ids=["above-ceiling", "wider-purposes"],
)
def test_rule_ceiling(world: World, changes: dict[str, Any]) -> None:
    unclassified_rule(world)
    [req] = world.desk.submit(
        world.officer, [item("p1", **changes)], recipient=world.jpn, purpose="MDA"
    )
    above = changes.get("classification") == "CONFIDENTIAL"
    assert req.state is (ReleaseState.QUEUED if above else ReleaseState.RELEASED)


@pytest.mark.unit
def test_item_outside_area_time_or_kind_waits_in_queue(world: World) -> None:
    unclassified_rule(world)
    outside = ReleaseItem(
        ObjectKind.POSITION, "far", label(), "0" * 64, lon=140.0, lat=35.0, observed_at=NOW
    )
    late = ReleaseItem(
        ObjectKind.POSITION,
        "late",
        label(),
        "0" * 64,
        lon=72.8,
        lat=18.9,
        observed_at=NOW + timedelta(days=2),
    )
    unplaced = ReleaseItem(ObjectKind.POSITION, "nowhere", label(), "0" * 64)
    event = item("e1", kind="event")
    reqs = world.desk.submit(
        world.analyst, [outside, late, unplaced, event], recipient=world.jpn, purpose="MDA"
    )
    assert [r.state for r in reqs] == [ReleaseState.QUEUED] * 4
    assert [r.object_id for r in world.desk.queue(world.officer)] == [
        "far",
        "late",
        "nowhere",
        "e1",
    ]


@pytest.mark.unit
def test_only_a_releasing_officer_declares_a_rule(world: World) -> None:
    with pytest.raises(AccessDenied):
        world.desk.add_rule(
            world.analyst,
            object_kind="position",
            max_level="UNCLASSIFIED",
            nations=["JPN"],
            purposes=["MDA"],
        )
    assert world.desk.rules() == []


@pytest.mark.unit
def test_rule_in_an_unmapped_level_is_refused(world: World) -> None:
    with pytest.raises(ReleaseRuleError, match="equivalence table"):
        world.desk.add_rule(
            world.officer,
            object_kind="position",
            max_level="RESTRICTED",
            nations=["JPN"],
            purposes=["MDA"],
        )


@pytest.mark.unit
def test_deactivated_rule_releases_nothing(world: World) -> None:
    unclassified_rule(world)
    world.desk.deactivate_rule(world.officer, 1)
    [req] = world.desk.submit(world.analyst, [item("p1")], recipient=world.jpn, purpose="MDA")
    assert req.state is ReleaseState.QUEUED


# --- the gate on submit: releasability and purpose ------------------------------------------


@pytest.mark.unit
def test_purpose_limitation_refuses_data_labelled_for_other_purposes(world: World) -> None:
    unclassified_rule(world, purposes=["MDA", "CT"])
    world.people.add_user(
        "kiran", nation="IND", clearance="SECRET", groups=["mda", "ct"], roles=["analyst"]
    )
    kiran = world.people.get("kiran")
    [req] = world.desk.submit(kiran, [item("p1")], recipient=world.jpn, purpose="CT")
    assert req.state is ReleaseState.REFUSED
    assert "R7-purpose-limitation" in req.reason
    [ok] = world.desk.submit(kiran, [item("p2")], recipient=world.jpn, purpose="MDA")
    assert ok.state is ReleaseState.RELEASED


@pytest.mark.unit
def test_partner_asking_for_a_non_releasable_object_is_refused(world: World) -> None:
    unclassified_rule(world)
    [req] = world.desk.submit(
        world.analyst,
        [item("p1", releasable_to=frozenset({"IND"}))],
        recipient=world.jpn,
        purpose="MDA",
    )
    # not releasable to JPN: an onward release needing a consent, which there is none of
    assert req.state is ReleaseState.REFUSED
    assert "R5-onward-consent" in req.reason


@pytest.mark.unit
def test_requester_must_be_able_to_read_what_they_propose(world: World) -> None:
    with pytest.raises(AccessDenied):
        world.desk.submit(
            world.analyst,
            [item("p1", classification="TOP SECRET")],
            recipient=world.jpn,
            purpose="MDA",
        )


@pytest.mark.unit
def test_release_to_a_user_is_refused(world: World) -> None:
    from setu.security.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="partner node"):
        world.desk.submit(world.analyst, [item("p1")], recipient=world.officer, purpose="MDA")


# --- the queue and officer decisions ----------------------------------------------------------


@pytest.mark.unit
def test_officer_approves_queued_request_and_it_is_recorded(world: World) -> None:
    [req] = world.desk.submit(
        world.analyst,
        [item("c1", classification="CONFIDENTIAL")],
        recipient=world.jpn,
        purpose="MDA",
    )
    assert req.state is ReleaseState.QUEUED
    world.clock.at = NOW + timedelta(minutes=5)
    done = world.desk.approve(world.officer, req.request_id, principals=world.people)
    assert (done.state, done.decided_by, done.rule) == (
        ReleaseState.RELEASED,
        "ravi",
        OFFICER_APPROVAL,
    )
    assert done.decided_at == NOW + timedelta(minutes=5)
    entry = world.log.get(done.audit_index or 0).record
    assert (entry["principal"], entry["action"], entry["rule"]) == (
        "ravi",
        "release",
        OFFICER_APPROVAL,
    )
    assert world.desk.queue(world.officer) == []
    assert [r.request_id for r in world.desk.history(world.officer)] == [req.request_id]
    with pytest.raises(ReleaseStateError):
        world.desk.approve(world.officer, req.request_id, principals=world.people)


@pytest.mark.unit
def test_non_releasing_officer_cannot_approve_or_refuse(world: World) -> None:
    [req] = world.desk.submit(
        world.analyst,
        [item("c1", classification="CONFIDENTIAL")],
        recipient=world.jpn,
        purpose="MDA",
    )
    with pytest.raises(AccessDenied):
        world.desk.approve(world.analyst, req.request_id, principals=world.people)
    with pytest.raises(AccessDenied):
        world.desk.refuse(world.analyst, req.request_id, reason="no")
    assert [r.state for r in world.desk.queue(world.officer)] == [ReleaseState.QUEUED]
    denials = [
        e
        for e in kinds(world.log, EntryKind.DECISION)
        if e["action"] == "approve_release" and e["decision"] == "deny"
    ]
    assert len(denials) == 2


@pytest.mark.unit
def test_officer_refuses_with_reason(world: World) -> None:
    [req] = world.desk.submit(
        world.analyst,
        [item("c1", classification="CONFIDENTIAL")],
        recipient=world.jpn,
        purpose="MDA",
    )
    done = world.desk.refuse(world.officer, req.request_id, reason="operation ongoing")
    assert (done.state, done.reason, done.decided_by) == (
        ReleaseState.REFUSED,
        "operation ongoing",
        "ravi",
    )
    assert world.log.get(done.audit_index or 0).record["action"] == "release_refused"


@pytest.mark.unit
def test_forbidden_request_answers_exactly_as_an_unknown_one(world: World) -> None:
    [req] = world.desk.submit(
        world.officer,
        [item("s1", classification="SECRET", purposes=frozenset({"MDA"}))],
        recipient=world.jpn,
        purpose="MDA",
    )
    low = world.people.add_user(
        "lata", nation="IND", clearance="CONFIDENTIAL", groups=["mda"], roles=["releasing_officer"]
    )
    with pytest.raises(ReleaseRequestNotFoundError) as forbidden:
        world.desk.approve(low, req.request_id, principals=world.people)
    with pytest.raises(ReleaseRequestNotFoundError) as unknown:
        world.desk.approve(low, 999, principals=world.people)
    assert str(forbidden.value) == str(unknown.value).replace("999", str(req.request_id))
    assert world.desk.queue(low) == []  # invisible in the listing too
    assert len(world.desk.queue(world.officer)) == 1


# --- third parties (R5, R6) -------------------------------------------------------------------


def grant(w: World, ids: list[str], *, days: int = 7, recipient: str = "USA") -> SignedConsent:
    return w.desk.consents.grant(
        w.officer,
        IND_KEY,
        recipient_nation=recipient,
        objects=[(i, label()) for i in ids],
        expires_at=NOW + timedelta(days=days),
    )


@pytest.mark.unit
def test_third_nation_without_consent_is_refused(world: World) -> None:
    [req] = world.desk.submit(world.analyst, [item("p1")], recipient=world.usa, purpose="MDA")
    assert req.state is ReleaseState.REFUSED
    assert "R5-onward-consent" in req.reason


@pytest.mark.unit
def test_third_nation_with_consent_waits_for_officer_then_releases(world: World) -> None:
    signed = grant(world, ["p1"])
    unclassified_rule(world, nations=["JPN", "USA"])  # a rule never covers an onward release
    [req] = world.desk.submit(world.analyst, [item("p1")], recipient=world.usa, purpose="MDA")
    assert (req.state, req.consent_id) == (ReleaseState.QUEUED, signed.consent.consent_id)
    done = world.desk.approve(world.officer, req.request_id, principals=world.people)
    assert done.state is ReleaseState.RELEASED
    assert done.consent_id == signed.consent.consent_id
    [consent_entry] = kinds(world.log, EntryKind.CONSENT)
    assert consent_entry["object_ids"] == ["p1"] and consent_entry["recipient"] == "USA"


@pytest.mark.unit
def test_out_of_scope_consent_is_refused(world: World) -> None:
    grant(world, ["p1"])  # names p1, not p2; for USA, not CHN
    [other] = world.desk.submit(world.analyst, [item("p2")], recipient=world.usa, purpose="MDA")
    assert other.state is ReleaseState.REFUSED
    chn = world.people.add_node("chn-node", nation="CHN", clearance="SECRET")
    [wrong] = world.desk.submit(world.analyst, [item("p1")], recipient=chn, purpose="MDA")
    assert wrong.state is ReleaseState.REFUSED


@pytest.mark.unit
def test_consent_expiring_before_approval_blocks_the_release(world: World) -> None:
    grant(world, ["p1"], days=1)
    [req] = world.desk.submit(world.analyst, [item("p1")], recipient=world.usa, purpose="MDA")
    assert req.state is ReleaseState.QUEUED
    world.clock.at = NOW + timedelta(days=2)
    with pytest.raises(AccessDenied, match="consent"):
        world.desk.approve(world.officer, req.request_id, principals=world.people)
    assert world.desk.queue(world.officer)[0].state is ReleaseState.QUEUED


@pytest.mark.unit
def test_only_the_originator_grants_consent(world: World) -> None:
    jp_label = label(originator_nation="JPN", originator_node=JPN_NODE, classification="秘")
    with pytest.raises(AccessDenied):
        world.desk.consents.grant(
            world.officer,
            IND_KEY,
            recipient_nation="USA",
            objects=[("j1", jp_label)],
            expires_at=NOW + timedelta(days=1),
        )
    with pytest.raises(AccessDenied):  # an analyst of the originator may not either
        world.desk.consents.grant(
            world.analyst,
            IND_KEY,
            recipient_nation="USA",
            objects=[("p1", label())],
            expires_at=NOW + timedelta(days=1),
        )


def jp_consent(ids: list[str], *, key: Ed25519PrivateKey = JPN_KEY, days: int = 3) -> str:
    consent = new_consent(
        originator_nation="JPN",
        originator_node=JPN_NODE,
        recipient_nation="USA",
        object_ids=ids,
        issued_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=days),
    )
    return sign_consent(consent, key).to_json()


@pytest.mark.unit
def test_imported_consent_lets_the_recipient_release_onward(world: World) -> None:
    held = item(
        "j1",
        originator_nation="JPN",
        originator_node=JPN_NODE,
        classification="秘",
        releasable_to=frozenset({"IND", "JPN"}),
    )
    [before] = world.desk.submit(world.officer, [held], recipient=world.usa, purpose="MDA")
    assert before.state is ReleaseState.REFUSED
    world.desk.consents.import_document("ravi", jp_consent(["j1"]))
    [after] = world.desk.submit(world.officer, [held], recipient=world.usa, purpose="MDA")
    assert after.state is ReleaseState.QUEUED and after.consent_id is not None


@pytest.mark.unit
def test_forged_consent_is_refused_at_import(world: World) -> None:
    with pytest.raises(ConsentError, match="forged"):
        world.desk.consents.import_document("ravi", jp_consent(["j1"], key=IND_KEY))
    assert world.desk.consents.listing() == []


@pytest.mark.unit
def test_expired_consent_is_refused_at_import(world: World) -> None:
    document = jp_consent(["j1"], days=1)
    world.clock.at = NOW + timedelta(days=2)
    with pytest.raises(ConsentExpiredError):
        world.desk.consents.import_document("ravi", document)


@pytest.mark.unit
def test_consent_altered_in_the_database_no_longer_counts(world: World, db: Database) -> None:
    from sqlalchemy import select, update

    from setu.security.models_release import ConsentRow

    world.desk.consents.import_document("ravi", jp_consent(["j1"]))
    held = item("j2", originator_nation="JPN", originator_node=JPN_NODE, classification="秘")
    with db.session() as s:
        document = s.scalars(select(ConsentRow.document)).one()
        s.execute(update(ConsentRow).values(document=document.replace('"j1"', '"j2"')))
    [req] = world.desk.submit(world.officer, [held], recipient=world.usa, purpose="MDA")
    assert req.state is ReleaseState.REFUSED  # the altered consent no longer verifies


@pytest.mark.unit
def test_two_officers_never_both_decide_and_a_failed_log_append_releases_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    [req] = world.desk.submit(
        world.analyst,
        [item("c1", classification="CONFIDENTIAL")],
        recipient=world.jpn,
        purpose="MDA",
    )
    log = world.desk.office.audit

    def broken(_entry: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(log, "append", broken)
    with pytest.raises(OSError):
        world.desk.approve(world.officer, req.request_id, principals=world.people)
    monkeypatch.undo()
    [still] = world.desk.queue(world.officer)
    assert (still.state, still.decided_by) == (ReleaseState.QUEUED, None)
    world.desk._claim(req.request_id, "another-officer")
    with pytest.raises(ReleaseStateError, match="another officer"):
        world.desk.approve(world.officer, req.request_id, principals=world.people)
    assert world.desk.queue(world.officer)[0].state is ReleaseState.QUEUED
