"""Confidentiality labels (STANAG 4774-style) and the label algebra.

A :class:`Label` is the originator's confidentiality label of one shareable thing (reference
notes §2, ADatP-4774 ``ConfidentialityInformation``: policy identifier, classification,
ReleasableTo category, creation time; plus originator, purposes and caveats from the 2015
agreement's template clauses, §1). It is frozen and hashable, and
:meth:`Label.canonical_bytes` gives the one byte form that the binding signs.

Nations are ISO 3166-1 alpha-3 trigraphs, as STANAG 4774 ReleasableTo values. The two parties
are :class:`Nation`; any other valid trigraph is a third nation.

``releasable_to`` lists the nations the information may be released to; the originator's own
users are governed by clearance and need-to-know, not by this list.

The algebra:

- :func:`derive` — the label of data derived from several inputs (tracks from positions, events
  from tracks): highest classification, intersection of releasability and purposes, union of
  caveats, so derived data never widens its audience (reference notes R10; MISP "the most
  restrictive setting wins"). An unmapped level raises.
- :func:`recipient_view` — the recipient's equivalent marking with the originating government's
  name, leaving the originator's label unchanged (Japan–Korea GSOMIA Art 4(2) template [T];
  Japan–NATO: originator's classification maintained [V]).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from setu.security import equivalence as eq
from setu.security.errors import InvalidLabelError

DEFAULT_POLICY = "IND-JPN-2015"  # the 2015 agreement (reference notes §1)

_TRIGRAPH = re.compile(r"[A-Z]{3}")  # ISO 3166-1 alpha-3, as STANAG 4774 ReleasableTo
NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")  # also a file and DNS-safe name
_CAVEAT = re.compile(r"[A-Z][A-Z0-9_-]{0,31}")  # e.g. ORCON (ISM dissemination control)
_MAX_TEXT = 64
_FIELDS = (
    "policy",
    "originator_nation",
    "originator_node",
    "classification",
    "releasable_to",
    "purposes",
    "caveats",
    "created_at",
)


class Nation(StrEnum):
    """The two parties to the 2015 agreement (ISO 3166-1 alpha-3)."""

    IND = "IND"
    JPN = "JPN"


class Purpose(StrEnum):
    """Purposes a request states and a label permits (issue 8; need-to-know groups)."""

    MDA = "MDA"
    CT = "CT"
    FIU = "FIU"
    HADR = "HADR"
    COOP = "COOP"
    LOGISTICS = "LOGISTICS"


_PURPOSES = frozenset(p.value for p in Purpose)


def validate_trigraph(value: object, what: str = "nation") -> str:
    """``value`` if it is a 3-letter uppercase trigraph; raises :class:`InvalidLabelError`."""
    if not isinstance(value, str) or not _TRIGRAPH.fullmatch(value):
        raise InvalidLabelError(
            f"{what} {value!r} is not an ISO 3166-1 alpha-3 trigraph (three capital letters, "
            "e.g. IND, JPN, USA)"
        )
    return value


def validate_node_name(value: object) -> str:
    """``value`` if it is a valid node name (letters, digits, ``.``, ``_``, ``-``; ≤ 63)."""
    if not isinstance(value, str) or not NODE_NAME.fullmatch(value):
        raise InvalidLabelError(
            f"node name {value!r} is invalid: use 1–63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


def _text(value: object, what: str) -> str:
    if (
        not isinstance(value, str)
        or not value.strip()
        or value != value.strip()
        or len(value) > _MAX_TEXT
        or not value.isprintable()
    ):
        raise InvalidLabelError(
            f"{what} {value!r} must be printable text of 1–{_MAX_TEXT} characters without "
            "leading or trailing spaces"
        )
    return value


def _string_set(value: object, what: str) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidLabelError(f"{what} must be a set of strings, not {value!r}")
    items = list(value)
    if not all(isinstance(item, str) for item in items):
        raise InvalidLabelError(f"{what} must hold strings only, got {items!r}")
    return frozenset(items)


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 without ``\\u`` escapes: the byte form setu signs."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def format_time(at: datetime) -> str:
    """RFC 3339 in UTC with ``Z`` and microseconds, e.g. ``2025-01-02T03:04:05.000006Z``."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: object) -> datetime:
    """Inverse of :func:`format_time` (exactly that form, nothing looser)."""
    if not isinstance(text, str) or not re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text
    ):
        raise InvalidLabelError(
            f"created_at {text!r} must be RFC 3339 UTC with microseconds and Z, "
            "e.g. 2025-01-02T03:04:05.000000Z"
        )
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidLabelError(f"created_at {text!r} is not a valid time: {exc}") from None


@dataclass(frozen=True)
class Originator:
    """A node of a nation: who originated, or who derives, labelled data."""

    nation: str
    node: str

    def __post_init__(self) -> None:
        validate_trigraph(self.nation, "originator nation")
        validate_node_name(self.node)


@dataclass(frozen=True, kw_only=True)
class Label:
    """The originator's confidentiality label (frozen, hashable; sets are frozensets)."""

    policy: str = DEFAULT_POLICY
    originator_nation: str
    originator_node: str
    classification: str  # in the ORIGINATOR's national scheme, e.g. "SECRET", "極秘"
    releasable_to: frozenset[str]
    purposes: frozenset[str]
    caveats: frozenset[str]
    created_at: datetime  # UTC, aware

    def __post_init__(self) -> None:
        _text(self.policy, "policy")
        validate_trigraph(self.originator_nation, "originator nation")
        validate_node_name(self.originator_node)
        _text(self.classification, "classification")
        rel = _string_set(self.releasable_to, "releasable_to")
        for nation in rel:
            validate_trigraph(nation, "releasable_to nation")
        purposes = _string_set(self.purposes, "purposes")
        if not purposes <= _PURPOSES:
            raise InvalidLabelError(
                f"unknown purposes {sorted(purposes - _PURPOSES)}; use {sorted(_PURPOSES)}"
            )
        caveats = _string_set(self.caveats, "caveats")
        for caveat in caveats:
            if not _CAVEAT.fullmatch(caveat):
                raise InvalidLabelError(
                    f"caveat {caveat!r} must be 1–32 capitals, digits, '_' or '-' (e.g. ORCON)"
                )
        if not isinstance(self.created_at, datetime) or self.created_at.utcoffset() is None:
            raise InvalidLabelError("created_at must be a timezone-aware datetime (UTC)")
        object.__setattr__(self, "releasable_to", rel)
        object.__setattr__(self, "purposes", purposes)
        object.__setattr__(self, "caveats", caveats)
        object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))

    @property
    def originator(self) -> Originator:
        return Originator(self.originator_nation, self.originator_node)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: sets as sorted lists, ``created_at`` as RFC 3339 ``Z`` with µs."""
        return {
            "policy": self.policy,
            "originator_nation": self.originator_nation,
            "originator_node": self.originator_node,
            "classification": self.classification,
            "releasable_to": sorted(self.releasable_to),
            "purposes": sorted(self.purposes),
            "caveats": sorted(self.caveats),
            "created_at": format_time(self.created_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Label:
        """Strict inverse of :meth:`to_dict`: exactly its keys, no duplicates in lists."""
        if not isinstance(data, Mapping) or set(data) != set(_FIELDS):
            got = sorted(data) if isinstance(data, Mapping) else type(data).__name__
            raise InvalidLabelError(f"a label needs exactly the keys {list(_FIELDS)}, got {got}")
        sets: dict[str, frozenset[str]] = {}
        for key in ("releasable_to", "purposes", "caveats"):
            value = data[key]
            if not isinstance(value, list) or len(set(map(str, value))) != len(value):
                raise InvalidLabelError(f"{key} must be a list without duplicates, got {value!r}")
            sets[key] = _string_set(value, key)
        return cls(
            policy=data["policy"],
            originator_nation=data["originator_nation"],
            originator_node=data["originator_node"],
            classification=data["classification"],
            releasable_to=sets["releasable_to"],
            purposes=sets["purposes"],
            caveats=sets["caveats"],
            created_at=parse_time(data["created_at"]),
        )

    def canonical_bytes(self) -> bytes:
        """Deterministic JSON: sorted keys and sets, no whitespace, UTF-8 (not \\u escapes)."""
        return self._canonical

    @functools.cached_property
    def _canonical(self) -> bytes:  # computed once per label (the label is immutable)
        return canonical_json(self.to_dict())


def _max_level(labels: list[Label], nation: str, top_rank: int, table: eq.EquivalenceTable) -> str:
    """The level shown at ``top_rank`` in ``nation``'s scheme: the inputs' own level if they all
    agree, else the row's first level. An input of another nation counts as that first level
    (its equivalent), so the result does not depend on how the inputs were grouped."""
    first = eq.level_at(nation, top_rank, table)
    names = {
        lb.classification if lb.originator_nation == nation else first
        for lb in labels
        if eq.rank(lb.originator_nation, lb.classification, table) == top_rank
    }
    return names.pop() if len(names) == 1 else first


def derive(
    labels: Iterable[Label],
    *,
    deriving: Originator | None = None,
    table: eq.EquivalenceTable | None = None,
) -> Label:
    """Label of data derived from ``labels``; it never widens the audience.

    - classification: the highest common rank. If all inputs share one originator (nation and
      node), the result keeps that originator and its scheme (the originator's classification is
      maintained: Japan–NATO agreement [V]). Otherwise the ``deriving`` node becomes the
      originator and the level is its own nation's equivalent (first level of the row).
    - releasable_to and purposes: intersection; caveats: union.
    - created_at: the latest input time, so derive is commutative, associative and idempotent.

    Raises :class:`UnmappedLevelError` for an unmapped input level (or an unmapped equivalent),
    :class:`InvalidLabelError` for no input, mixed policies, or mixed originators without
    ``deriving``.
    """
    items = list(set(labels))  # inputs usually share a few labels (one per source or batch)
    if not items:
        raise InvalidLabelError("derive needs at least one input label")
    policies = {lb.policy for lb in items}
    if len(policies) != 1:
        raise InvalidLabelError(f"cannot derive across policies {sorted(policies)}")
    tbl = table or eq.default_table()
    top_rank = max(eq.rank(lb.originator_nation, lb.classification, tbl) for lb in items)
    originators = {lb.originator for lb in items}
    if len(originators) == 1:
        origin = next(iter(originators))
    elif deriving is not None:
        origin = deriving
    else:
        raise InvalidLabelError(
            "inputs come from several originators; pass deriving=Originator(nation, node) of "
            "the node that derives the data"
        )
    return Label(
        policy=policies.pop(),
        originator_nation=origin.nation,
        originator_node=origin.node,
        classification=_max_level(items, origin.nation, top_rank, tbl),
        releasable_to=frozenset.intersection(*(lb.releasable_to for lb in items)),
        purposes=frozenset.intersection(*(lb.purposes for lb in items)),
        caveats=frozenset().union(*(lb.caveats for lb in items)),
        created_at=max(lb.created_at for lb in items),
    )


@dataclass(frozen=True)
class RecipientView:
    """How a recipient nation marks an item it holds: the originator's label, unchanged, plus
    its own corresponding level and the originating government's name (Art 4(2) template)."""

    label: Label
    recipient_nation: str
    recipient_classification: str
    originator_government: str  # e.g. "Government of India"
    originator_government_native: str  # e.g. "インド共和国政府"
    settled: bool  # false when the table row is proposed, not settled by a public text

    @property
    def marking(self) -> str:
        """One line, e.g. ``極秘 — Government of India SECRET``."""
        own = f"{self.originator_government} {self.label.classification}"
        if self.recipient_nation == self.label.originator_nation:
            return own
        return f"{self.recipient_classification} — {own}"


def recipient_view(
    label: Label, nation: str, table: eq.EquivalenceTable | None = None
) -> RecipientView:
    """The marking ``nation`` shows for ``label``; raises :class:`UnmappedLevelError` when
    ``nation`` has no equivalent level (any third nation, or an unmapped level)."""
    tbl = table or eq.default_table()
    validate_trigraph(nation, "recipient nation")
    english, native = eq.government(label.originator_nation, tbl)
    return RecipientView(
        label=label,
        recipient_nation=nation,
        recipient_classification=eq.equivalent(label, nation, tbl),
        originator_government=english,
        originator_government_native=native,
        settled=eq.is_settled(label.originator_nation, label.classification, tbl),
    )


__all__ = [
    "DEFAULT_POLICY",
    "Label",
    "Nation",
    "Originator",
    "Purpose",
    "RecipientView",
    "canonical_json",
    "derive",
    "format_time",
    "parse_time",
    "recipient_view",
    "validate_node_name",
    "validate_trigraph",
]
