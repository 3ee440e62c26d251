"""The one authorisation gate: :func:`authorize` decides every access to labelled data.

Reading for a local user, release to the partner nation, onward release to a third nation,
re-classification, consent and release approval are all decided here and nowhere else, so a
reviewer lists the callers with ``grep -rn "authorize(" src/``. The rules are Cedar policies,
short files in ``setu/security/policies/`` (package data) validated against the schema beside
them: default deny, and a forbid beats a permit (reference notes §5, R19). Entities come from
setu's own records: the :class:`~setu.security.principals.Principal` and the labels.

**Batches are decided per label group, not per object.** A decision reads only part of a label
(:class:`DecisionFacts`: policy, originator, level rank, releasability, purposes, caveats; not
its creation time) plus whether the request's consent names the object. Objects agreeing on
those share one Cedar request, so 100,000 positions under a few labels cost a few requests.

**No silent decisions.** ``audit`` is required: every group's decision (allow and deny) is
handed to it as one :class:`DecisionRecord` (all of a call's records at once to a
:class:`BatchAuditHook`'s ``many``, so the disclosure log appends them in one transaction) —
principal, action, the facts, the decision and the policies that determined it, the number of
objects with the SHA-256 of their sorted ids and the first and last id, and the SHA-256 of
the policy set (reference notes R15). If the hook raises, :func:`authorize` raises and nothing
is released.

A Cedar evaluation error in any policy denies (Cedar would otherwise skip an erroring forbid).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from importlib import resources
from typing import Any, Protocol, runtime_checkable

import cedarpy

from setu.security import equivalence as eq
from setu.security.consent import VerifiedConsent
from setu.security.errors import (
    AccessDenied,
    InvalidRequestError,
    PolicySetError,
    UnmappedLevelError,
)
from setu.security.labels import Label, Purpose, validate_node_name, validate_trigraph
from setu.security.principals import Principal

POLICY_DIR = "policies"
SCHEMA_FILE = "setu.cedarschema"
CEDAR_CHUNK = 1000  # label groups per Cedar call: 500–1000 did best, bigger entity sets cost more
LISTED_IDS_MAX = 32  # an audit record lists the ids themselves up to this many
_PRINCIPAL = "Setu::Principal"
_GROUP = "Setu::LabelGroup"
_ACTION = "Setu::Action"


class Action(StrEnum):
    """What a principal asks to do with labelled objects."""

    READ = "read"  # a local user sees the objects
    RELEASE = "release"  # send to a nation named in releasable_to (the principal's)
    ONWARD_RELEASE = "onward_release"  # send to a third nation, with the originator's consent
    DOWNGRADE = "downgrade"  # originator changes or removes the classification (R11)
    CONSENT = "consent"  # originator approves a third-party release (R5)
    APPROVE_RELEASE = "approve_release"  # a releasing officer approves a queued release


@dataclass(frozen=True)
class Resource:
    """One labelled object."""

    object_id: str
    label: Label


@dataclass(frozen=True)
class ResourceGroup:
    """Objects sharing one label (a source, a Parquet batch): cheaper than one Resource each."""

    label: Label
    object_ids: tuple[str, ...]


@dataclass(frozen=True)
class RequestContext:
    """Facts of the request: this node, the time, the stated purpose and a verified consent."""

    local_nation: str
    local_node: str
    now: datetime
    purpose: str | None = None  # a Purpose value; required for release and onward release
    consent: VerifiedConsent | None = None

    def __post_init__(self) -> None:
        validate_trigraph(self.local_nation, "local nation")
        validate_node_name(self.local_node)
        if self.now.utcoffset() is None:
            raise InvalidRequestError("the request time must be timezone-aware (UTC)")
        if self.purpose is not None and self.purpose not in Purpose.__members__.values():
            raise InvalidRequestError(
                f"unknown purpose {self.purpose!r}; state one of {[p.value for p in Purpose]}"
            )
        if self.consent is not None and not isinstance(self.consent, VerifiedConsent):
            raise InvalidRequestError("a consent must be checked with verify_consent() first")


def _ranked(
    ranker: Callable[[str, str, eq.EquivalenceTable | None], int],
    nation: str,
    level: str,
    table: eq.EquivalenceTable | None,
) -> int | None:
    """``ranker``'s rank of ``level``, or None when it is unmapped (the policies deny)."""
    try:
        return ranker(nation, level, table)
    except UnmappedLevelError:
        return None


@dataclass(frozen=True)
class DecisionFacts:
    """The part of a label a decision reads. ``level_rank`` (common ladder) and
    ``national_rank`` (the originator nation's own ladder) are None for an unmapped level."""

    policy: str
    originator_nation: str
    originator_node: str
    level_rank: int | None
    releasable_to: tuple[str, ...]
    purposes: tuple[str, ...]
    caveats: tuple[str, ...]
    national_rank: int | None = None

    @classmethod
    def of(cls, label: Label, table: eq.EquivalenceTable | None = None) -> DecisionFacts:
        nation, classification = label.originator_nation, label.classification
        return cls(
            policy=label.policy,
            originator_nation=label.originator_nation,
            originator_node=label.originator_node,
            level_rank=_ranked(eq.rank, nation, classification, table),
            releasable_to=tuple(sorted(label.releasable_to)),
            purposes=tuple(sorted(label.purposes)),
            caveats=tuple(sorted(label.caveats)),
            national_rank=_ranked(eq.national_rank, nation, classification, table),
        )

    def entity_attrs(self, consent_covers: bool) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "originator_nation": self.originator_nation,
            "originator_node": self.originator_node,
            "level_rank": self.level_rank if self.level_rank is not None else 0,
            "level_mapped": self.level_rank is not None,
            "national_rank": self.national_rank if self.national_rank is not None else 0,
            "national_mapped": self.national_rank is not None,
            "releasable_to": list(self.releasable_to),
            "purposes": list(self.purposes),
            "caveats": list(self.caveats),
            "consent_covers": consent_covers,
        }


@dataclass(frozen=True)
class GroupDecision:
    """The decision for objects sharing :class:`DecisionFacts` and consent coverage."""

    facts: DecisionFacts
    consent_covers: bool
    object_ids: tuple[str, ...]
    allowed: bool
    reasons: tuple[str, ...]  # @id of the determining policies, or "default-deny"


@dataclass(frozen=True)
class DecisionRecord:
    """What the audit hook receives: one row per (principal, action, label group, decision)."""

    recorded_at: datetime
    principal: str
    principal_kind: str
    principal_nation: str
    action: str
    allowed: bool
    reasons: tuple[str, ...]
    purpose: str | None
    consent_id: str | None
    local_node: str
    facts: DecisionFacts
    consent_covers: bool
    object_count: int
    object_ids_sha256: str
    first_object_id: str
    last_object_id: str
    object_ids: tuple[str, ...] | None  # listed when at most LISTED_IDS_MAX
    policy_sha256: str
    kind: str = "decision"

    def to_dict(self) -> dict[str, Any]:
        facts = self.facts
        return {
            "kind": self.kind,
            "recorded_at": self.recorded_at.isoformat(),
            "principal": self.principal,
            "principal_kind": self.principal_kind,
            "principal_nation": self.principal_nation,
            "action": self.action,
            "decision": "allow" if self.allowed else "deny",
            "reasons": list(self.reasons),
            "purpose": self.purpose,
            "consent_id": self.consent_id,
            "local_node": self.local_node,
            "label": {
                "policy": facts.policy,
                "originator_nation": facts.originator_nation,
                "originator_node": facts.originator_node,
                "level_rank": facts.level_rank,
                "national_rank": facts.national_rank,
                "releasable_to": list(facts.releasable_to),
                "purposes": list(facts.purposes),
                "caveats": list(facts.caveats),
            },
            "consent_covers": self.consent_covers,
            "object_count": self.object_count,
            "object_ids_sha256": self.object_ids_sha256,
            "first_object_id": self.first_object_id,
            "last_object_id": self.last_object_id,
            "object_ids": list(self.object_ids) if self.object_ids is not None else None,
            "policy_sha256": self.policy_sha256,
        }

    def canonical_bytes(self) -> bytes:
        return json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")


AuditHook = Callable[[DecisionRecord], object]


@runtime_checkable
class BatchAuditHook(Protocol):
    """An audit hook that also takes all of one :func:`authorize` call's records at once
    (:meth:`many`), e.g. to append them to the disclosure log in one transaction."""

    def __call__(self, record: DecisionRecord, /) -> object: ...

    def many(self, records: Sequence[DecisionRecord], /) -> object: ...


@dataclass(frozen=True)
class Decisions:
    """The gate's answer for a batch: per group, and per object through :meth:`is_allowed`.

    An id that appears in a denied group is denied even if it also appears in an allowed one.
    """

    principal: str
    action: Action
    groups: tuple[GroupDecision, ...]
    cedar_requests: int
    policy_sha256: str

    @functools.cached_property
    def allowed_ids(self) -> frozenset[str]:
        allowed: set[str] = set()
        denied: set[str] = set()
        for group in self.groups:
            (allowed if group.allowed else denied).update(group.object_ids)
        return frozenset(allowed - denied)

    def is_allowed(self, object_id: str) -> bool:
        return object_id in self.allowed_ids

    @property
    def all_allowed(self) -> bool:
        return all(group.allowed for group in self.groups)

    def require_all(self) -> None:
        """Raise :class:`AccessDenied` unless every object was allowed (release paths)."""
        if not self.all_allowed:
            raise AccessDenied(
                f"{self.action.value} refused by policy for {self.principal!r}; check the "
                "labels, the stated purpose and any consent, or ask a releasing officer"
            )


@dataclass(frozen=True, eq=False)
class GatePolicies:
    """A parsed, schema-validated Cedar policy set and its SHA-256 (recorded per decision)."""

    sources: Mapping[str, str]  # file name -> policy text
    sha256: str
    policy_set: cedarpy.PolicySet = field(repr=False)

    @classmethod
    def from_sources(cls, sources: Mapping[str, str], schema: str) -> GatePolicies:
        text = "\n".join(sources[name] for name in sorted(sources))
        result = cedarpy.validate_policies(text, schema)
        if not result.validation_passed:
            problems = "; ".join(str(e) for e in result.errors) or "does not parse"
            raise PolicySetError(
                f"the gate's Cedar policies do not validate against {SCHEMA_FILE}: {problems}; "
                "fix the policy files (setu/security/policies) and run the gate tests"
            )
        digest = hashlib.sha256(
            json.dumps(sorted(sources.items()), ensure_ascii=False).encode("utf-8")
        ).hexdigest()
        try:
            policy_set = cedarpy.PolicySet.from_str(text)
        except ValueError as exc:
            raise PolicySetError(f"the gate's Cedar policies do not parse: {exc}") from None
        return cls(dict(sources), digest, policy_set)


def packaged_sources() -> tuple[dict[str, str], str]:
    """The policy files and the schema shipped in ``setu/security/policies``."""
    folder = resources.files("setu.security").joinpath(POLICY_DIR)
    sources = {
        item.name: item.read_text("utf-8")
        for item in folder.iterdir()
        if item.name.endswith(".cedar")
    }
    return sources, folder.joinpath(SCHEMA_FILE).read_text("utf-8")


@functools.cache
def default_policies() -> GatePolicies:
    """The packaged policy set, parsed and validated once per process."""
    sources, schema = packaged_sources()
    return GatePolicies.from_sources(sources, schema)


# -- building the Cedar request ----------------------------------------------------------


def _principal_entity(principal: Principal) -> dict[str, Any]:
    table = eq.default_table()
    clearance = _ranked(eq.rank, principal.nation, principal.clearance, table)
    national = _ranked(eq.national_rank, principal.nation, principal.clearance, table)
    return {
        "uid": {"type": _PRINCIPAL, "id": principal.name},
        "attrs": {
            "kind": principal.kind.value,
            "nation": principal.nation,
            "clearance_rank": clearance if clearance is not None else 0,
            "clearance_mapped": clearance is not None,
            "national_clearance_rank": national if national is not None else 0,
            "national_clearance_mapped": national is not None,
            "third_nation": principal.nation not in table.governments,
            "need_to_know": sorted(principal.purposes),
            "roles": sorted(r.value for r in principal.roles),
            "contractor": principal.contractor,
            "disabled": principal.disabled,
        },
        "parents": [],
    }


def _context_json(context: RequestContext) -> str:
    consent = context.consent.consent if context.consent is not None else None
    return json.dumps(
        {
            "purpose": context.purpose or "",
            "local_nation": context.local_nation,
            "local_node": context.local_node,
            "now_s": int(context.now.timestamp()),
            "consent": {
                "present": consent is not None,
                "originator_nation": consent.originator_nation if consent else "",
                "originator_node": consent.originator_node if consent else "",
                "recipient": consent.recipient_nation if consent else "",
                "expires_at_s": int(consent.expires_at.timestamp()) if consent else 0,
            },
        },
        ensure_ascii=False,
    )


_GroupKey = tuple[DecisionFacts, bool]


class _Grouper:
    """Buckets object ids by (facts, consent covers them). Facts are computed once per label
    object, and once per distinct decision-relevant field tuple across label objects."""

    def __init__(self, consent: VerifiedConsent | None) -> None:
        self.consented = consent.consent.object_ids if consent is not None else None
        self.facts_of: dict[int, DecisionFacts] = {}  # id(label) -> facts
        self.by_fields: dict[tuple[object, ...], DecisionFacts] = {}
        self.interned: dict[DecisionFacts, DecisionFacts] = {}
        self.labels: list[Label] = []  # keeps labels alive so their id() stays unique
        self.buckets: dict[tuple[int, bool], tuple[_GroupKey, list[str]]] = {}

    def facts(self, label: Label) -> DecisionFacts:
        facts = self.facts_of.get(id(label))
        if facts is None:
            fields = (
                label.policy,
                label.originator_nation,
                label.originator_node,
                label.classification,
                label.releasable_to,
                label.purposes,
                label.caveats,
            )  # everything DecisionFacts.of reads: not created_at
            facts = self.by_fields.get(fields)
            if facts is None:
                new = DecisionFacts.of(label)
                facts = self.by_fields[fields] = self.interned.setdefault(new, new)
            self.facts_of[id(label)] = facts
            self.labels.append(label)
        return facts

    def bucket(self, facts: DecisionFacts, covers: bool) -> list[str]:
        found = self.buckets.get((id(facts), covers))
        if found is None:
            found = self.buckets[(id(facts), covers)] = ((facts, covers), [])
        return found[1]

    def add(self, item: Resource | ResourceGroup) -> None:
        facts = self.facts(item.label)
        consented = self.consented
        if isinstance(item, ResourceGroup):
            if consented is None:
                self.bucket(facts, False).extend(item.object_ids)
                return
            for object_id in item.object_ids:
                self.bucket(facts, object_id in consented).append(object_id)
            return
        covers = consented is not None and item.object_id in consented
        self.bucket(facts, covers).append(item.object_id)


def _group(
    resources: Iterable[Resource | ResourceGroup], consent: VerifiedConsent | None
) -> dict[_GroupKey, list[str]]:
    grouper = _Grouper(consent)
    for item in resources:
        grouper.add(item)
    return dict(grouper.buckets.values())


def _evaluate(
    policies: GatePolicies,
    principal: Principal,
    action: Action,
    keys: list[_GroupKey],
    context_json: str,
) -> list[tuple[bool, tuple[str, ...]]]:
    """One Cedar request per key, CEDAR_CHUNK keys per call; (allowed, reasons) per key."""
    principal_entity = _principal_entity(principal)
    principal_uid = principal_entity["uid"]
    action_uid = {"type": _ACTION, "id": action.value}
    out: list[tuple[bool, tuple[str, ...]]] = []
    for start in range(0, len(keys), CEDAR_CHUNK):
        chunk = keys[start : start + CEDAR_CHUNK]
        entities = [principal_entity]
        requests = []
        for i, (facts, covers) in enumerate(chunk):
            uid = {"type": _GROUP, "id": f"g{start + i}"}
            entities.append({"uid": uid, "attrs": facts.entity_attrs(covers), "parents": []})
            requests.append(
                {
                    "principal": principal_uid,
                    "action": action_uid,
                    "resource": uid,
                    "context": context_json,
                }
            )
        try:
            results = cedarpy.is_authorized_batch(
                requests, policies.policy_set, json.dumps(entities, ensure_ascii=False)
            )
        except ValueError as exc:
            raise PolicySetError(f"the gate could not evaluate a request: {exc}") from None
        out.extend(_outcome(result) for result in results)
    return out


def _outcome(result: cedarpy.AuthzResult) -> tuple[bool, tuple[str, ...]]:
    diagnostics = result.diagnostics
    names = diagnostics.id_annotations_by_reason
    reasons = sorted(names.get(pid, pid) for pid in diagnostics.reasons)
    if diagnostics.errors:  # an erroring forbid must not let a permit through
        return False, ("evaluation-error", *reasons)
    allowed = result.decision == cedarpy.Decision.Allow
    if not allowed and not reasons:
        reasons = ["default-deny"]
    return allowed, tuple(reasons)


def _record(
    principal: Principal,
    action: Action,
    context: RequestContext,
    group: GroupDecision,
    policy_sha256: str,
) -> DecisionRecord:
    ids = sorted(group.object_ids)
    digest = hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()
    return DecisionRecord(
        recorded_at=context.now,
        principal=principal.name,
        principal_kind=principal.kind.value,
        principal_nation=principal.nation,
        action=action.value,
        allowed=group.allowed,
        reasons=group.reasons,
        purpose=context.purpose,
        consent_id=context.consent.consent_id if context.consent is not None else None,
        local_node=context.local_node,
        facts=group.facts,
        consent_covers=group.consent_covers,
        object_count=len(ids),
        object_ids_sha256=digest,
        first_object_id=ids[0],
        last_object_id=ids[-1],
        object_ids=tuple(ids) if len(ids) <= LISTED_IDS_MAX else None,
        policy_sha256=policy_sha256,
    )


def authorize(
    principal: Principal,
    action: Action | str,
    resources: Iterable[Resource | ResourceGroup],
    *,
    context: RequestContext,
    audit: AuditHook | BatchAuditHook,
    policies: GatePolicies | None = None,
) -> Decisions:
    """Decide ``action`` by ``principal`` on every object of ``resources``.

    Returns the decisions per label group; reports each to ``audit`` before returning. What a
    principal may not read must stay invisible: callers drop denied objects and answer for a
    forbidden id exactly as for an unknown one.
    """
    if not callable(audit):
        raise InvalidRequestError("authorize needs an audit hook: no decision goes unrecorded")
    chosen = policies or default_policies()
    verb = Action(action)
    buckets = _group(resources, context.consent)
    keys = list(buckets)
    outcomes = _evaluate(chosen, principal, verb, keys, _context_json(context))
    groups = tuple(
        GroupDecision(facts, covers, tuple(buckets[(facts, covers)]), allowed, reasons)
        for (facts, covers), (allowed, reasons) in zip(keys, outcomes, strict=True)
    )
    records = [_record(principal, verb, context, group, chosen.sha256) for group in groups]
    if isinstance(audit, BatchAuditHook):
        audit.many(records)  # one append (one transaction) per call
    else:
        for record in records:
            audit(record)
    return Decisions(principal.name, verb, groups, len(keys), chosen.sha256)


__all__ = [
    "Action",
    "AuditHook",
    "BatchAuditHook",
    "DecisionFacts",
    "DecisionRecord",
    "Decisions",
    "GatePolicies",
    "GroupDecision",
    "RequestContext",
    "Resource",
    "ResourceGroup",
    "authorize",
    "default_policies",
    "packaged_sources",
]
