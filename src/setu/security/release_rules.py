"""What a release is about, and the standing rules that release it automatically.

A :class:`ReleaseItem` is one labelled object proposed for release: its kind, id, originator
label, the SHA-256 of its canonical content (what the STANAG 4778-style binding covers,
:mod:`setu.security.binding`) and, for rules with an area or a time window, where and when it
was observed.

A :class:`ReleaseRequest` is a stored proposal to release one item (its state, who decided,
when, under which rule).

A :class:`StandingRule` is a releasing officer's standing decision (issue 8 "Release", e.g.
"UNCLASSIFIED positions and events in this area and time, releasable to JPN: release
automatically"): one object kind, a ceiling level in this node's national scheme, the recipient
nations, the purposes, optionally a box and a time window. A rule only ever lets through what
the gate already allows (:func:`setu.security.gate.authorize`, action ``release``); it never
covers an onward release to a third nation, which always waits for an officer (R5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from setu.security import equivalence as eq
from setu.security.errors import ReleaseRuleError, UnmappedLevelError
from setu.security.labels import Label, Purpose, validate_trigraph
from setu.security.models_release import (
    OBJECT_ID_LENGTH,
    ReleaseRequestRow,
    ReleaseRuleRow,
    ReleaseState,
)

_SHA256_HEX_CHARS = 64
OFFICER_APPROVAL = "officer-approval"  # the rule of a release an officer approved


class ObjectKind(StrEnum):
    """The shareable things setu labels (issue 8 "Labels on data that exists today")."""

    POSITION = "position"
    TRACK = "track"
    EVENT = "event"
    VESSEL = "vessel"
    INCIDENT = "incident"
    COOP_RECORD = "coop_record"
    ACSA_RECORD = "acsa_record"


def object_kind(value: object) -> ObjectKind:
    """``value`` as an :class:`ObjectKind`, or :class:`ReleaseRuleError` naming the choices."""
    try:
        return ObjectKind(str(value))
    except ValueError:
        choices = ", ".join(k.value for k in ObjectKind)
        raise ReleaseRuleError(f"object kind {value!r} is not one of: {choices}") from None


@dataclass(frozen=True)
class BBox:
    """A longitude/latitude box in WGS84 degrees, edges included."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def __post_init__(self) -> None:
        values = (self.min_lon, self.min_lat, self.max_lon, self.max_lat)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise ReleaseRuleError(
                "a box needs four finite numbers: min_lon,min_lat,max_lon,max_lat"
            )
        if not (-180 <= self.min_lon <= self.max_lon <= 180):
            raise ReleaseRuleError("box longitudes must satisfy -180 ≤ min_lon ≤ max_lon ≤ 180")
        if not (-90 <= self.min_lat <= self.max_lat <= 90):
            raise ReleaseRuleError("box latitudes must satisfy -90 ≤ min_lat ≤ max_lat ≤ 90")

    @classmethod
    def parse(cls, text: str) -> BBox:
        """``min_lon,min_lat,max_lon,max_lat`` (degrees)."""
        try:
            parts = [float(p) for p in text.split(",")]
        except ValueError:
            parts = []
        if len(parts) != 4:
            raise ReleaseRuleError(f"box {text!r}: give min_lon,min_lat,max_lon,max_lat")
        return cls(*parts)

    def contains(self, lon: float, lat: float) -> bool:
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat


@dataclass(frozen=True)
class ReleaseItem:
    """One labelled object proposed for release."""

    object_kind: ObjectKind
    object_id: str
    label: Label
    content_sha256: str  # hex SHA-256 of the canonical content (setu.security.binding)
    lon: float | None = None  # degrees, where it was observed (rules with a box)
    lat: float | None = None
    observed_at: datetime | None = None  # UTC (rules with a time window)

    def __post_init__(self) -> None:
        object.__setattr__(self, "object_kind", object_kind(self.object_kind))
        if not isinstance(self.object_id, str) or not 0 < len(self.object_id) <= OBJECT_ID_LENGTH:
            raise ReleaseRuleError(f"an object id is 1–{OBJECT_ID_LENGTH} characters of text")
        if not isinstance(self.label, Label):
            raise ReleaseRuleError("a release item needs its originator Label")
        digest = self.content_sha256
        if (
            not isinstance(digest, str)
            or len(digest) != _SHA256_HEX_CHARS
            or digest.strip("0123456789abcdef")
        ):
            raise ReleaseRuleError("content_sha256 must be 64 lowercase hex digits (SHA-256)")
        if (self.lon is None) != (self.lat is None):
            raise ReleaseRuleError("give both lon and lat, or neither")
        if self.observed_at is not None and self.observed_at.utcoffset() is None:
            raise ReleaseRuleError("observed_at must be timezone-aware (UTC)")


@dataclass(frozen=True)
class StandingRule:
    """A releasing officer's standing decision to release matching items automatically."""

    object_kind: ObjectKind
    max_level: str  # in this node's national scheme, e.g. "UNCLASSIFIED"
    max_rank: int  # equivalence.rank(this nation, max_level)
    nations: frozenset[str]
    purposes: frozenset[str]
    created_by: str
    created_at: datetime
    bbox: BBox | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    rule_id: int | None = None
    active: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "object_kind", object_kind(self.object_kind))
        if not self.nations:
            raise ReleaseRuleError("a standing rule names at least one recipient nation")
        for nation in self.nations:
            validate_trigraph(nation, "recipient nation")
        known = {p.value for p in Purpose}
        if not self.purposes or not set(self.purposes) <= known:
            raise ReleaseRuleError(f"a standing rule names purposes among {sorted(known)}")
        for at in (self.valid_from, self.valid_until, self.created_at):
            if at is not None and at.utcoffset() is None:
                raise ReleaseRuleError("rule times must be timezone-aware (UTC)")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ReleaseRuleError("a rule's window must end after it starts")

    def matches(self, item: ReleaseItem, recipient_nation: str, purpose: str) -> bool:
        """True when the rule covers this item going to ``recipient_nation`` for ``purpose``.

        An item without a position (or time) never matches a rule with a box (or window), and
        an item whose level has no row in the equivalence table never matches (R3).
        """
        if not self.active or item.object_kind is not self.object_kind:
            return False
        if recipient_nation not in self.nations or purpose not in self.purposes:
            return False
        if recipient_nation not in item.label.releasable_to:
            return False  # third-nation releases always wait for an officer (R5)
        try:
            level = eq.rank(item.label.originator_nation, item.label.classification)
        except UnmappedLevelError:
            return False
        if level > self.max_rank:
            return False
        if self.bbox is not None and (
            item.lon is None or item.lat is None or not self.bbox.contains(item.lon, item.lat)
        ):
            return False
        if self.valid_from is not None or self.valid_until is not None:
            at = item.observed_at
            if at is None:
                return False
            if self.valid_from is not None and at < self.valid_from:
                return False
            if self.valid_until is not None and at >= self.valid_until:
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        box = self.bbox
        return {
            "rule_id": self.rule_id,
            "object_kind": self.object_kind.value,
            "max_level": self.max_level,
            "nations": sorted(self.nations),
            "purposes": sorted(self.purposes),
            "bbox": None if box is None else [box.min_lon, box.min_lat, box.max_lon, box.max_lat],
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "active": self.active,
        }

    def to_row(self) -> ReleaseRuleRow:
        box = self.bbox
        return ReleaseRuleRow(
            object_kind=self.object_kind.value,
            max_level=self.max_level,
            max_rank=self.max_rank,
            nations=sorted(self.nations),
            purposes=sorted(self.purposes),
            min_lon=None if box is None else box.min_lon,
            min_lat=None if box is None else box.min_lat,
            max_lon=None if box is None else box.max_lon,
            max_lat=None if box is None else box.max_lat,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            created_by=self.created_by,
            created_at=self.created_at,
            active=self.active,
        )

    @classmethod
    def from_row(cls, row: ReleaseRuleRow) -> StandingRule:
        box = None
        if row.min_lon is not None and row.min_lat is not None:
            assert row.max_lon is not None and row.max_lat is not None
            box = BBox(row.min_lon, row.min_lat, row.max_lon, row.max_lat)
        return cls(
            object_kind=ObjectKind(row.object_kind),
            max_level=row.max_level,
            max_rank=row.max_rank,
            nations=frozenset(row.nations),
            purposes=frozenset(row.purposes),
            created_by=row.created_by,
            created_at=row.created_at,
            bbox=box,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            rule_id=row.id,
            active=row.active,
        )


@dataclass(frozen=True)
class ReleaseRequest:
    """A stored release request as listings show it."""

    request_id: int
    object_kind: str
    object_id: str
    label: Label
    content_sha256: str
    recipient: str
    recipient_nation: str
    purpose: str
    state: ReleaseState
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rule: str  # "standing-rule:N", "officer-approval", or "" while queued or when refused
    consent_id: str | None
    reason: str
    audit_index: int | None

    @classmethod
    def from_row(cls, row: ReleaseRequestRow) -> ReleaseRequest:
        rule = f"standing-rule:{row.rule_id}" if row.rule_id is not None else ""
        if row.state is ReleaseState.RELEASED and row.rule_id is None:
            rule = OFFICER_APPROVAL
        return cls(
            request_id=row.id,
            object_kind=row.object_kind,
            object_id=row.object_id,
            label=Label.from_dict(row.label),
            content_sha256=row.content_sha256,
            recipient=row.recipient,
            recipient_nation=row.recipient_nation,
            purpose=row.purpose,
            state=row.state,
            requested_by=row.requested_by,
            requested_at=row.requested_at,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            rule=rule,
            consent_id=row.consent_id,
            reason=row.reason,
            audit_index=row.audit_index,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "object_kind": self.object_kind,
            "object_id": self.object_id,
            "classification": self.label.classification,
            "originator": f"{self.label.originator_nation}/{self.label.originator_node}",
            "recipient": self.recipient,
            "recipient_nation": self.recipient_nation,
            "purpose": self.purpose,
            "state": self.state.value,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "rule": self.rule,
            "consent_id": self.consent_id,
            "reason": self.reason,
            "audit_index": self.audit_index,
        }


def ceiling_rank(nation: str, level: str) -> int:
    """The rank of a rule's ceiling level in ``nation``'s scheme; an unmapped level is refused
    (R3: a rule cannot be stated in a level the equivalence table does not know)."""
    try:
        return eq.rank(nation, level)
    except UnmappedLevelError as exc:
        raise ReleaseRuleError(
            f"rule level {level!r} has no row for {nation} in the equivalence table ({exc}); "
            "use a mapped level (see `setu node equivalence`)"
        ) from None


__all__ = [
    "OFFICER_APPROVAL",
    "BBox",
    "ObjectKind",
    "ReleaseItem",
    "ReleaseRequest",
    "StandingRule",
    "ceiling_rank",
    "object_kind",
]
