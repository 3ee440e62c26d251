"""The label registry: every label a row of the store names, kept once, by content address.

``<data_dir>/ais/labels/<label_id>.json`` holds the label's canonical bytes
(:meth:`setu.security.labels.Label.canonical_bytes`); ``label_id`` is the first 64 bits of their
SHA-256 (:func:`setu.security.source_labels.label_id`). Files are immutable: registering a label
that is there already writes nothing, and a new one is written under a unique hidden temp name
and renamed into place, so concurrent writers of the same label leave one complete file (a rename
replaces atomically, POSIX ``rename(2)``). A file whose bytes do not hash to its name is refused
on read (:class:`LabelRegistryError`), so an edited label cannot pass for the original.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from setu.errors import IntegrityError, NotFoundError, StoreError
from setu.security.labels import Label
from setu.security.source_labels import is_label_id, label_id

if TYPE_CHECKING:
    from setu.security.node import NodeIdentity

LABELS_DIR = "labels"
_KEY_SEPARATOR = "+"  # as setu.events.run.LABEL_KEY_SEPARATOR (the store imports no events)
_SUFFIX = ".json"


class LabelRegistryError(IntegrityError):
    """A registry file does not hold the label its name promises (edited or damaged)."""


class LabelNotFoundError(NotFoundError):
    """A row names a label id the registry does not hold."""


class LabelRegistry:
    """Labels by id under ``root`` (``<data_dir>/ais/labels``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, Label] = {}
        self._derived: dict[str, str] = {}

    def path(self, label_id_: str) -> Path:
        if not is_label_id(label_id_):
            raise LabelNotFoundError(f"{label_id_!r} is not a label id (16 hex characters)")
        return self.root / f"{label_id_}{_SUFFIX}"

    def register(self, label: Label) -> str:
        """Store ``label`` (once) and return its id."""
        ident = label_id(label)
        final = self.path(ident)
        if final.is_file():
            return ident
        tmp = self.root / f".{ident}.{uuid.uuid4().hex[:12]}.tmp"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(label.canonical_bytes())
            os.replace(tmp, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise StoreError(
                f"cannot write label {ident} to {self.root}: {exc}; check space and permissions"
            ) from exc
        self._cache[ident] = label
        return ident

    def get(self, label_id_: str) -> Label:
        """The label with id ``label_id_``, checked against its id."""
        cached = self._cache.get(label_id_)
        if cached is not None:
            return cached
        path = self.path(label_id_)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise LabelNotFoundError(
                f"label {label_id_} is not in the registry {self.root}; restore the labels "
                "directory from backup (rows naming it cannot be released meanwhile)"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot read label file {path}: {exc}") from exc
        label = _parse(data, path)
        if label_id(label) != label_id_ or label.canonical_bytes() != data:
            raise LabelRegistryError(
                f"label file {path} does not hold the label its name promises (edited or "
                "damaged); restore it from backup"
            )
        self._cache[label_id_] = label
        return label

    def resolve_key(self, key: str | None, node: Callable[[], NodeIdentity]) -> str | None:
        """The id of the label derived from a label key (``a+b``, see
        :func:`setu.events.run.label_key`), registered here; a key of one id is that id, None
        stays None. An empty member stands for ``node``'s open-AIS default; inputs of several
        originators are derived by ``node`` (called only when needed: it may raise
        :class:`~setu.security.errors.NodeIdentityError`)."""
        if key is None or _KEY_SEPARATOR not in key:
            return key
        found = self._derived.get(key)
        if found is not None:
            return found
        from setu.security.labels import Originator, derive
        from setu.security.source_labels import default_open_ais_label

        parts = key.split(_KEY_SEPARATOR)
        labels = [self.get(p) for p in parts if p]
        if "" in parts:
            labels.append(default_open_ais_label(node()))
        deriving = None
        if len({lb.originator for lb in labels}) > 1:
            me = node()
            deriving = Originator(me.nation, me.name)
        ident = self.register(derive(labels, deriving=deriving))
        self._derived[key] = ident
        return ident

    def ids(self) -> list[str]:
        """Ids of every registered label, sorted."""
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        return sorted(
            n.removesuffix(_SUFFIX)
            for n in names
            if n.endswith(_SUFFIX) and is_label_id(n.removesuffix(_SUFFIX))
        )

    def all(self) -> dict[str, Label]:
        """Every registered label by id (each checked)."""
        return {ident: self.get(ident) for ident in self.ids()}


def _parse(data: bytes, path: Path) -> Label:
    import json

    from setu.security.errors import InvalidLabelError

    try:
        return Label.from_dict(json.loads(data.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError, InvalidLabelError) as exc:
        raise LabelRegistryError(
            f"label file {path} is not a valid label ({exc}); restore it from backup"
        ) from exc
