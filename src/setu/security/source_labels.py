"""Labels of the data setu holds today: ingest sources, positions, tracks and events.

- :func:`label_id` — the content address of a label: the first 64 bits of SHA-256 over
  :meth:`Label.canonical_bytes`, as 16 hex characters. The store keeps this id per row (a
  dictionary-encoded Parquet column) and the label itself once, in its registry.
- :func:`default_open_ais_label` — what a NULL ``label_id`` means: the receiving node's label for
  open AIS (UNCLASSIFIED, releasable to IND and JPN, purpose MDA). Declared here once.
- :func:`parse_label_spec` — ``setu ingest --label SPEC``: a JSON file of a label, or the compact
  form ``SECRET;rel=IND;purpose=MDA;caveat=ORCON`` with this node as originator.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from setu.security import equivalence as eq
from setu.security.errors import InvalidLabelError
from setu.security.labels import Label, Nation, Purpose

if TYPE_CHECKING:
    from collections.abc import Callable

    from setu.security.node import NodeIdentity

#: Hex characters of a label id: 64 bits of SHA-256 (FIPS 180-4), enough that two distinct
#: labels of one node collide with probability ~n²/2⁶⁵ (birthday bound).
LABEL_ID_HEX = 16

#: Open AIS is broadcast unencrypted on public VHF channels (ITU-R M.1371-5): it is not
#: classified information, so it is UNCLASSIFIED and releasable to both parties (issue 8,
#: "Open AIS defaults to UNCLASSIFIED, releasable to IND and JPN"), for maritime domain awareness.
OPEN_AIS_CLASSIFICATION = "UNCLASSIFIED"
OPEN_AIS_RELEASABLE_TO = frozenset({Nation.IND.value, Nation.JPN.value})
OPEN_AIS_PURPOSES = frozenset({Purpose.MDA.value})

#: Purposes of a compact ``--label`` that names none: a navy's sensor feed serves MDA.
DEFAULT_SPEC_PURPOSES = frozenset({Purpose.MDA.value})

_SPEC_KEYS = {"rel": "releasable_to", "purpose": "purposes", "caveat": "caveats"}
_SPEC_EXAMPLE = "SECRET;rel=IND;purpose=MDA;caveat=ORCON"


def label_id(label: Label) -> str:
    """16 hex characters: the first 64 bits of SHA-256 over the label's canonical bytes."""
    return hashlib.sha256(label.canonical_bytes()).hexdigest()[:LABEL_ID_HEX]


def is_label_id(text: object) -> bool:
    """Whether ``text`` has the form of a label id (16 lowercase hex characters)."""
    return (
        isinstance(text, str)
        and len(text) == LABEL_ID_HEX
        and all(c in "0123456789abcdef" for c in text)
    )


def default_open_ais_label(node: NodeIdentity) -> Label:
    """The label a NULL ``label_id`` stands for: open AIS received by ``node``.

    UNCLASSIFIED, releasable to IND and JPN, purpose MDA, no caveats; originator this node;
    created when the node was (so the label, and its id, are the same on every read).
    """
    return Label(
        originator_nation=node.nation,
        originator_node=node.name,
        classification=OPEN_AIS_CLASSIFICATION,
        releasable_to=OPEN_AIS_RELEASABLE_TO,
        purposes=OPEN_AIS_PURPOSES,
        caveats=frozenset(),
        created_at=node.created_at,
    )


def _spec_sets(parts: list[str]) -> dict[str, set[str]]:
    sets: dict[str, set[str]] = {name: set() for name in _SPEC_KEYS.values()}
    for part in parts:
        key, sep, values = part.partition("=")
        field = _SPEC_KEYS.get(key.strip().lower())
        if not sep or field is None:
            raise InvalidLabelError(
                f"--label part {part!r} is not rel=…, purpose=… or caveat=…; write e.g. "
                f"{_SPEC_EXAMPLE!r}"
            )
        sets[field].update(v.strip().upper() for v in values.split(",") if v.strip())
    return sets


def _compact_label(spec: str, node: NodeIdentity, now: datetime) -> Label:
    level, *parts = (p.strip() for p in spec.split(";"))
    if not level or "=" in level:
        raise InvalidLabelError(
            f"--label {spec!r} must start with a classification, e.g. {_SPEC_EXAMPLE!r}"
        )
    sets = _spec_sets([p for p in parts if p])
    return Label(
        originator_nation=node.nation,
        originator_node=node.name,
        classification=level,
        releasable_to=frozenset(sets["releasable_to"]),
        purposes=frozenset(sets["purposes"]) or DEFAULT_SPEC_PURPOSES,
        caveats=frozenset(sets["caveats"]),
        created_at=now.astimezone(UTC),
    )


def _file_label(path: Path) -> Label:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidLabelError(
            f"--label file {path} cannot be read as JSON ({exc}); give a label as written by "
            "Label.to_dict(), or the compact form " + repr(_SPEC_EXAMPLE)
        ) from None
    return Label.from_dict(data)


def parse_label_spec(
    spec: str,
    node: NodeIdentity,
    *,
    clock: Callable[[], datetime],
    table: eq.EquivalenceTable | None = None,
) -> Label:
    """The label of a navy's own feed from ``--label SPEC`` (a JSON file, or the compact form).

    ``releasable_to`` is empty (this nation only) unless ``rel=`` names nations; purposes default
    to MDA. The originator must be ``node``, and the classification a level of ``node``'s own
    scheme that the equivalence table maps: anything else is refused
    (:class:`InvalidLabelError`, :class:`UnmappedLevelError`), never guessed.
    """
    text = spec.strip()
    path = Path(text)
    label = _file_label(path) if text.endswith(".json") or path.is_file() else None
    if label is None:
        label = _compact_label(text, node, clock())
    if (label.originator_nation, label.originator_node) != (node.nation, node.name):
        raise InvalidLabelError(
            f"--label names originator {label.originator_nation}/{label.originator_node}, but "
            f"this node is {node.nation}/{node.name}: a node labels only its own feeds"
        )
    eq.rank(node.nation, label.classification, table)  # raises UnmappedLevelError
    return label


__all__ = [
    "DEFAULT_SPEC_PURPOSES",
    "LABEL_ID_HEX",
    "OPEN_AIS_CLASSIFICATION",
    "OPEN_AIS_PURPOSES",
    "OPEN_AIS_RELEASABLE_TO",
    "default_open_ais_label",
    "is_label_id",
    "label_id",
    "parse_label_spec",
]
