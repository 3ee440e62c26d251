"""The authorisation gate: one test per rule (dropping the rule's policy makes it fail), the
adversarial cases, batching per label group and the audit of every decision."""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cedarpy
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from setu.security.consent import new_consent, sign_consent, verify_consent
from setu.security.errors import AccessDenied, InvalidRequestError, PolicySetError
from setu.security.gate import (
    Action,
    DecisionFacts,
    DecisionRecord,
    GatePolicies,
    RequestContext,
    Resource,
    ResourceGroup,
    _principal_entity,
    authorize,
    default_policies,
    packaged_sources,
)
from setu.security.labels import Label
from setu.security.principals import Principal, PrincipalKind, Role

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
IND_NODE = "ind-mumbai"
JPN_NODE = "jpn-yokosuka"
USA_NODE = "usa-pearl"
SRC = Path(__file__).resolve().parents[2] / "src" / "setu"
IND_KEY = Ed25519PrivateKey.generate()
JPN_KEY = Ed25519PrivateKey.generate()
TRUSTED = {IND_NODE: IND_KEY.public_key(), JPN_NODE: JPN_KEY.public_key()}


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


def user(**changes: Any) -> Principal:
    fields: dict[str, Any] = {
        "name": "asha",
        "kind": PrincipalKind.USER,
        "nation": "IND",
        "clearance": "SECRET",
        "need_to_know": frozenset({"mda"}),
        "roles": frozenset({Role.ANALYST}),
    }
    fields.update(changes)
    return Principal(**fields)


def node(nation: str, name: str, clearance: str) -> Principal:
    return Principal(name, PrincipalKind.NODE, nation, clearance, frozenset(), frozenset())


def ctx(**changes: Any) -> RequestContext:
    fields: dict[str, Any] = {"local_nation": "IND", "local_node": IND_NODE, "now": NOW}
    fields.update(changes)
    return RequestContext(**fields)


def consent_for(recipient: str, ids: list[str], *, key: Ed25519PrivateKey = IND_KEY, **kw: Any):
    consent = new_consent(
        originator_nation=kw.get("nation", "IND"),
        originator_node=kw.get("node", IND_NODE),
        recipient_nation=recipient,
        object_ids=ids,
        issued_at=NOW - timedelta(days=1),
        expires_at=kw.get("expires_at", NOW + timedelta(days=7)),
    )
    return verify_consent(sign_consent(consent, key), TRUSTED, now=NOW - timedelta(hours=1))


def decide(
    principal: Principal,
    action: Action,
    lab: Label,
    context: RequestContext,
    policies: GatePolicies | None = None,
) -> tuple[bool, tuple[str, ...]]:
    records: list[DecisionRecord] = []
    decisions = authorize(
        principal,
        action,
        [Resource("obj-1", lab)],
        context=context,
        audit=records.append,
        policies=policies,
    )
    assert len(decisions.groups) == 1 and len(records) == 1
    return decisions.is_allowed("obj-1"), decisions.groups[0].reasons


def policies_without(policy_id: str) -> GatePolicies:
    """The packaged policy set minus the policy annotated ``@id(policy_id)``."""
    sources, schema = packaged_sources()
    kept: dict[str, str] = {}
    found = False
    for name, text in sources.items():
        doc = json.loads(cedarpy.policies_to_json_str(text))
        static = doc["staticPolicies"]
        drop = [k for k, v in static.items() if v.get("annotations", {}).get("id") == policy_id]
        found = found or bool(drop)
        for key in drop:
            del static[key]
        if static:
            kept[name] = cedarpy.policies_from_json_str(json.dumps(doc))
    assert found, f"no policy @id({policy_id!r}) in the packaged set"
    return GatePolicies.from_sources(kept, schema)


# -- the rule table (reference notes §6): each case is denied by exactly the named policy ------

JPN_USER = user(name="kenji", nation="JPN", clearance="極秘")
IND_ONLY = label(releasable_to=frozenset({"IND"}))
USA = node("USA", USA_NODE, "SECRET")  # a third nation's level: never ranked
JPN = node("JPN", JPN_NODE, "極秘")


def _rule_cases() -> list[Any]:
    officer = user(roles=frozenset({Role.RELEASING_OFFICER}))
    return [
        ("R1-policy", user(), Action.READ, label(policy="OTHER-2020"), ctx()),
        (
            "R3-unmapped-level",  # IND RESTRICTED has no row: unmapped for a Japanese reader
            JPN_USER,
            Action.READ,
            label(classification="RESTRICTED"),
            ctx(),
        ),
        (
            "R3-unmapped-clearance",  # IND RESTRICTED clearance cannot be ranked against Japan's
            user(clearance="RESTRICTED"),
            Action.READ,
            label(originator_nation="JPN", originator_node=JPN_NODE, classification="UNCLASSIFIED"),
            ctx(),
        ),
        ("R5-read-releasable-to", JPN_USER, Action.READ, IND_ONLY, ctx()),
        ("R5-release-releasable-to", JPN, Action.RELEASE, IND_ONLY, ctx(purpose="MDA")),
        (
            "R5-onward-consent",  # a consent exists, covers the object, but names AUS
            USA,
            Action.ONWARD_RELEASE,
            label(),
            ctx(purpose="MDA", consent=consent_for("AUS", ["obj-1"])),
        ),
        (
            "R6-consent-scope",  # the consent names another object
            USA,
            Action.ONWARD_RELEASE,
            label(),
            ctx(purpose="MDA", consent=consent_for("USA", ["obj-2"])),
        ),
        (
            "R5-orcon",  # the recipient node passes on IND's ORCON data without consent
            USA,
            Action.RELEASE,
            label(releasable_to=frozenset({"IND", "JPN", "USA"}), caveats=frozenset({"ORCON"})),
            ctx(local_nation="JPN", local_node=JPN_NODE, purpose="MDA"),
        ),
        ("R7-purpose-stated", JPN, Action.RELEASE, label(), ctx()),
        ("R7-purpose-limitation", JPN, Action.RELEASE, label(), ctx(purpose="CT")),
        (
            "R7-purpose-need-to-know",
            user(),
            Action.READ,
            label(purposes=frozenset({"MDA", "CT"})),
            ctx(purpose="CT"),
        ),
        ("R8-clearance", user(clearance="CONFIDENTIAL"), Action.READ, label(), ctx()),
        (
            "R8-need-to-know",  # rank and role alone grant nothing
            user(clearance="TOP SECRET", need_to_know=frozenset(), roles=frozenset(Role)),
            Action.READ,
            label(),
            ctx(),
        ),
        ("R9-contractor", user(contractor=True), Action.READ, label(), ctx()),
        ("disabled", user(disabled=True), Action.READ, label(), ctx()),
        (
            "R11-originator-only",  # the recipient node tries to downgrade IND's label
            replace(officer, nation="JPN", clearance="極秘"),
            Action.DOWNGRADE,
            label(),
            ctx(local_nation="JPN", local_node=JPN_NODE),
        ),
    ]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("policy_id", "principal", "action", "lab", "context"),
    _rule_cases(),
    ids=[case[0] for case in _rule_cases()],
)
def test_rule_denies_and_dropping_it_allows(
    policy_id: str, principal: Principal, action: Action, lab: Label, context: RequestContext
) -> None:
    allowed, reasons = decide(principal, action, lab, context)
    assert not allowed
    assert reasons == (policy_id,)
    # the same request passes once that one policy is dropped: the rule is what refuses it
    allowed_without, _ = decide(principal, action, lab, context, policies_without(policy_id))
    assert allowed_without


@pytest.mark.unit
def test_r19_default_deny_without_a_permit() -> None:
    sources, schema = packaged_sources()
    forbids_only = GatePolicies.from_sources(
        {k: v for k, v in sources.items() if k != "permit.cedar"}, schema
    )
    allowed, reasons = decide(user(), Action.READ, label(), ctx(), forbids_only)
    assert not allowed and reasons == ("default-deny",)
    assert decide(user(), Action.READ, label(), ctx())[0]  # the full set allows it


@pytest.mark.unit
def test_r19_forbid_beats_permit() -> None:
    extra = (
        '@id("no-mda") forbid (principal, action, resource) '
        'when { resource.purposes.contains("MDA") };'
    )
    sources, schema = packaged_sources()
    stricter = GatePolicies.from_sources({**sources, "extra.cedar": extra}, schema)
    assert decide(user(), Action.READ, label(), ctx())[0]
    assert decide(user(), Action.READ, label(), ctx(), stricter) == (False, ("no-mda",))


# -- what is allowed, so the forbids are not vacuous --------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("principal", "action", "lab", "context"),
    [
        (user(), Action.READ, label(), ctx()),
        (user(), Action.READ, IND_ONLY, ctx()),  # the originator's own users: not by REL TO
        (JPN_USER, Action.READ, label(), ctx(local_nation="JPN", local_node=JPN_NODE)),
        (user(clearance="TOP SECRET"), Action.READ, label(classification="SECRET"), ctx()),
        (JPN, Action.RELEASE, label(), ctx(purpose="MDA")),
        (JPN, Action.RELEASE, label(caveats=frozenset({"ORCON"})), ctx(purpose="MDA")),
        (
            USA,
            Action.ONWARD_RELEASE,
            label(),
            ctx(purpose="MDA", consent=consent_for("USA", ["obj-1"])),
        ),
        (
            user(roles=frozenset({Role.RELEASING_OFFICER})),
            Action.DOWNGRADE,
            label(),
            ctx(),
        ),
        (user(roles=frozenset({Role.RELEASING_OFFICER})), Action.CONSENT, label(), ctx()),
        (user(roles=frozenset({Role.RELEASING_OFFICER})), Action.APPROVE_RELEASE, label(), ctx()),
    ],
)
def test_allowed_requests(
    principal: Principal, action: Action, lab: Label, context: RequestContext
) -> None:
    allowed, reasons = decide(principal, action, lab, context)
    assert allowed and len(reasons) == 1 and reasons[0].startswith("permit-")


# -- adversarial: ways around the policy -------------------------------------------------------


@pytest.mark.unit
def test_third_nation_without_consent_is_denied() -> None:
    allowed, reasons = decide(USA, Action.ONWARD_RELEASE, label(), ctx(purpose="MDA"))
    assert not allowed and {"R5-onward-consent", "R6-consent-scope"} <= set(reasons)


@pytest.mark.unit
def test_third_nation_cannot_use_plain_release() -> None:
    assert not decide(USA, Action.RELEASE, label(), ctx(purpose="MDA"))[0]


@pytest.mark.unit
def test_expired_consent_is_denied() -> None:
    consent = consent_for("USA", ["obj-1"], expires_at=NOW + timedelta(minutes=5))
    later = ctx(purpose="MDA", consent=consent, now=NOW + timedelta(minutes=5))
    assert decide(USA, Action.ONWARD_RELEASE, label(), later) == (False, ("R6-consent-scope",))


@pytest.mark.unit
def test_consent_of_another_originator_is_denied() -> None:
    jpn_consent = consent_for("USA", ["obj-1"], key=JPN_KEY, nation="JPN", node=JPN_NODE)
    allowed, reasons = decide(
        USA, Action.ONWARD_RELEASE, label(), ctx(purpose="MDA", consent=jpn_consent)
    )
    assert not allowed and reasons == ("R5-onward-consent",)


@pytest.mark.unit
def test_partner_cannot_read_locally_as_a_node() -> None:
    assert decide(JPN, Action.READ, label(), ctx()) == (False, ("default-deny",))


@pytest.mark.unit
def test_partner_node_above_its_accreditation_is_denied() -> None:
    confidential_node = node("JPN", JPN_NODE, "秘")
    allowed, reasons = decide(confidential_node, Action.RELEASE, label(), ctx(purpose="MDA"))
    assert not allowed and reasons == ("R8-clearance",)


@pytest.mark.unit
def test_jpn_level_is_compared_on_the_common_ladder() -> None:
    jpn_secret = label(originator_nation="JPN", originator_node=JPN_NODE, classification="極秘")
    assert decide(user(clearance="SECRET"), Action.READ, jpn_secret, ctx())[0]
    assert not decide(user(clearance="CONFIDENTIAL"), Action.READ, jpn_secret, ctx())[0]


@pytest.mark.unit
def test_consent_only_given_at_the_originating_node() -> None:
    officer = user(roles=frozenset({Role.RELEASING_OFFICER}))
    elsewhere = ctx(local_node="ind-delhi")
    assert decide(officer, Action.CONSENT, label(), elsewhere) == (
        False,
        ("R11-originator-only",),
    )


@pytest.mark.unit
def test_an_erroring_policy_denies() -> None:
    # Cedar skips a policy whose evaluation errors; an erroring forbid must still refuse.
    overflow = (
        '@id("overflow") forbid (principal, action, resource) '
        "when { principal.clearance_rank + 9223372036854775807 > 0 };"
    )
    sources, schema = packaged_sources()
    erroring = GatePolicies.from_sources({**sources, "overflow.cedar": overflow}, schema)
    allowed, reasons = decide(user(), Action.READ, label(), ctx(), erroring)
    assert not allowed and reasons[0] == "evaluation-error"


@pytest.mark.unit
def test_invalid_policy_files_are_refused() -> None:
    sources, schema = packaged_sources()
    typo = "permit (principal, action, resource) when { resource.clearence_rank > 0 };"
    with pytest.raises(PolicySetError, match="do not validate"):
        GatePolicies.from_sources({**sources, "typo.cedar": typo}, schema)


# -- requests ----------------------------------------------------------------------------------


@pytest.mark.unit
def test_request_context_is_checked() -> None:
    with pytest.raises(InvalidRequestError, match="unknown purpose"):
        ctx(purpose="ASW")
    with pytest.raises(InvalidRequestError, match="timezone"):
        ctx(now=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(InvalidRequestError, match="verify_consent"):
        ctx(consent=object())


@pytest.mark.unit
def test_require_all_raises_access_denied_without_naming_objects() -> None:
    decisions = authorize(
        user(clearance="CONFIDENTIAL"),
        Action.READ,
        [Resource("secret-track-42", label())],
        context=ctx(),
        audit=lambda record: None,
    )
    with pytest.raises(AccessDenied) as info:
        decisions.require_all()
    assert "secret-track-42" not in str(info.value)


# -- batching ----------------------------------------------------------------------------------


@pytest.mark.unit
def test_a_large_batch_costs_one_cedar_request_per_label_group() -> None:
    labels = [label(), label(classification="TOP SECRET"), label(purposes=frozenset({"CT"}))]
    resources = [Resource(f"pos-{i}", labels[i % 3]) for i in range(100_000)]
    records: list[DecisionRecord] = []
    decisions = authorize(user(), Action.READ, resources, context=ctx(), audit=records.append)
    assert decisions.cedar_requests == 3 and len(records) == 3
    assert len(decisions.allowed_ids) == 33_334  # only the SECRET MDA third
    assert sorted(r.object_count for r in records) == [33_333, 33_333, 33_334]


@pytest.mark.unit
def test_labels_differing_only_in_creation_time_share_a_request() -> None:
    resources = [Resource(f"p{i}", label(created_at=NOW - timedelta(seconds=i))) for i in range(50)]
    decisions = authorize(user(), Action.READ, resources, context=ctx(), audit=lambda r: None)
    assert decisions.cedar_requests == 1 and decisions.all_allowed


@pytest.mark.unit
def test_resource_groups_decide_like_single_resources() -> None:
    ids = tuple(f"p{i}" for i in range(10))
    as_group = authorize(
        user(), Action.READ, [ResourceGroup(label(), ids)], context=ctx(), audit=lambda r: None
    )
    one_by_one = authorize(
        user(),
        Action.READ,
        [Resource(i, label()) for i in ids],
        context=ctx(),
        audit=lambda r: None,
    )
    assert as_group.allowed_ids == one_by_one.allowed_ids == frozenset(ids)


@pytest.mark.unit
def test_consent_splits_a_group_by_the_objects_it_names() -> None:
    consent = consent_for("USA", ["a", "b"])
    decisions = authorize(
        USA,
        Action.ONWARD_RELEASE,
        [ResourceGroup(label(), ("a", "b", "c", "d"))],
        context=ctx(purpose="MDA", consent=consent),
        audit=lambda r: None,
    )
    assert decisions.allowed_ids == {"a", "b"} and decisions.cedar_requests == 2


@pytest.mark.unit
def test_an_id_denied_anywhere_is_denied() -> None:
    decisions = authorize(
        user(),
        Action.READ,
        [Resource("x", label()), Resource("x", label(classification="TOP SECRET"))],
        context=ctx(),
        audit=lambda r: None,
    )
    assert not decisions.is_allowed("x")


# -- the audit of every decision (R15) ---------------------------------------------------------


@pytest.mark.unit
def test_every_decision_allow_and_deny_is_audited() -> None:
    records: list[DecisionRecord] = []
    resources = [
        Resource("a", label()),
        Resource("b", label()),
        Resource("c", label(classification="TOP SECRET")),
    ]
    authorize(user(), Action.READ, resources, context=ctx(purpose="MDA"), audit=records.append)
    by_decision = {r.allowed: r for r in records}
    assert set(by_decision) == {True, False}
    allowed, denied = by_decision[True], by_decision[False]
    assert (allowed.object_count, allowed.object_ids) == (2, ("a", "b"))
    assert (denied.first_object_id, denied.reasons) == ("c", ("R8-clearance",))
    for record in records:
        assert record.policy_sha256 == default_policies().sha256
        assert record.principal == "asha" and record.action == "read"
        assert record.purpose == "MDA" and record.recorded_at == NOW
        body = json.loads(record.canonical_bytes())
        assert body["decision"] == ("allow" if record.allowed else "deny")


@pytest.mark.unit
def test_large_groups_are_audited_by_hash_not_by_list() -> None:
    records: list[DecisionRecord] = []
    ids = tuple(f"p{i:05d}" for i in range(1000))
    authorize(
        user(), Action.READ, [ResourceGroup(label(), ids)], context=ctx(), audit=records.append
    )
    (record,) = records
    assert record.object_ids is None and record.object_count == 1000
    assert (record.first_object_id, record.last_object_id) == ("p00000", "p00999")
    import hashlib

    assert record.object_ids_sha256 == hashlib.sha256("\n".join(ids).encode()).hexdigest()


@pytest.mark.unit
def test_no_decision_without_an_audit_hook() -> None:
    with pytest.raises(InvalidRequestError, match="audit hook"):
        authorize(user(), Action.READ, [Resource("a", label())], context=ctx(), audit=None)  # type: ignore[arg-type]


@pytest.mark.unit
def test_a_failing_audit_hook_releases_nothing() -> None:
    def broken(record: DecisionRecord) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        authorize(user(), Action.READ, [Resource("a", label())], context=ctx(), audit=broken)


# -- structure: one gate, well-formed entities -------------------------------------------------


@pytest.mark.unit
def test_only_the_gate_calls_cedar() -> None:
    """The gate is the one place decisions are made: no other module imports cedarpy."""
    importers = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node_ in ast.walk(tree):
            names = []
            if isinstance(node_, ast.Import):
                names = [alias.name for alias in node_.names]
            elif isinstance(node_, ast.ImportFrom) and node_.module:
                names = [node_.module]
            if any(n == "cedarpy" or n.startswith("cedarpy.") for n in names):
                importers.append(path.relative_to(SRC).as_posix())
    assert importers == ["security/gate.py"]


@pytest.mark.unit
def test_entities_conform_to_the_schema() -> None:
    _, schema = packaged_sources()
    odd = user(name="odd", clearance="RESTRICTED", contractor=True, disabled=True)
    principals = [user(), USA, odd]
    facts = [DecisionFacts.of(label()), DecisionFacts.of(label(classification="RESTRICTED"))]
    entities = [_principal_entity(p) for p in principals] + [
        {"uid": {"type": "Setu::LabelGroup", "id": f"g{i}"}, "attrs": f.entity_attrs(i == 0)}
        for i, f in enumerate(facts)
    ]
    for entity in entities:
        entity.setdefault("parents", [])
    parsed = cedarpy.Entities.from_json_str(json.dumps(entities), schema=schema)
    assert len(parsed) == len(entities) + len(Action)  # the schema adds the action entities
    entities[0]["attrs"]["clearance_rank"] = "3"  # a wrong type is refused by the schema
    with pytest.raises(ValueError):
        cedarpy.Entities.from_json_str(json.dumps(entities), schema=schema)


@pytest.mark.unit
def test_every_policy_has_an_id_and_every_rule_id_is_used() -> None:
    sources, _ = packaged_sources()
    ids = []
    for text in sources.values():
        for policy in json.loads(cedarpy.policies_to_json_str(text))["staticPolicies"].values():
            ids.append(policy.get("annotations", {}).get("id"))
    assert None not in ids and len(ids) == len(set(ids))
    tested = {case[0] for case in _rule_cases()}
    forbids = {i for i in ids if not i.startswith("permit-")}
    assert forbids == tested
