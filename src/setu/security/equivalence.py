"""National equivalence of classification levels (India–Japan, 2015 agreement).

The table ships as ``equivalence.toml`` next to this module, each row with its source and a
``settled`` flag (reference notes §1, "Proposed equivalence table"). Two rules hold everywhere:

- **An unmapped level is denied, never guessed** (reference notes §1: "RESTRICTED: no mapping,
  so deny"). :func:`rank` raises :class:`UnmappedLevelError` for any (nation, level) the table
  does not list, including every level of a third nation's scheme.
- **The originator's label is never rewritten.** :func:`equivalent` only computes the marking
  the recipient shows next to it (Japan–Korea GSOMIA Art 4(2) template [T]: the recipient marks
  every item with the originating government's name and its own corresponding level; STANAG
  4774 ``alternativeConfidentialityLabel``).

The common ladder: UNCLASSIFIED 0 < CONFIDENTIAL 2 < SECRET 3 < TOP SECRET 4.

**National ladders.** Each nation's own levels in order (``[ladders.XXX]`` in the table;
reference notes §1 "Indian levels", "Japanese levels"). :func:`national_rank` places a level on
its nation's ladder: the gate compares a principal and a label of the same nation there (an
Indian RESTRICTED label and an Indian reader cleared RESTRICTED or above), and across nations
on the common ladder, where RESTRICTED stays unmapped and denied.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from setu.security.errors import EquivalenceTableError, UnmappedLevelError

if TYPE_CHECKING:
    from setu.security.labels import Label

TABLE_RESOURCE = "equivalence.toml"
_BASES = frozenset({"V", "T", "U"})  # reference notes key: verified, template, unverified


@dataclass(frozen=True)
class LevelRow:
    """One row of the table: a rank on the common ladder and each nation's levels at it."""

    rank: int
    english: str
    levels: Mapping[str, tuple[str, ...]]  # nation trigraph -> levels, first one shown
    basis: str
    settled: bool
    source: str


@dataclass(frozen=True)
class NationalLadder:
    """One nation's own levels in order: ``steps[i]`` holds the levels at national rank ``i``."""

    nation: str
    steps: tuple[tuple[str, ...], ...]
    basis: str
    source: str

    def rank_of(self, level: str) -> int | None:
        for position, names in enumerate(self.steps):
            if level in names:
                return position
        return None


@dataclass(frozen=True)
class EquivalenceTable:
    """The parsed table; build it with :func:`load_table` or :func:`default_table`."""

    policy: str
    governments: Mapping[str, tuple[str, str]]  # nation -> (English name, native name)
    rows: tuple[LevelRow, ...]
    unmapped: Mapping[tuple[str, str], str]  # (nation, level) -> source of the refusal
    ladders: Mapping[str, NationalLadder] = field(default_factory=dict)
    _index: Mapping[tuple[str, str], LevelRow] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {
            (nation, name): row
            for row in self.rows
            for nation, names in row.levels.items()
            for name in names
        }
        object.__setattr__(self, "_index", index)

    def row_of(self, nation: str, level: str) -> LevelRow:
        """The row holding ``level`` of ``nation``'s scheme; raises if there is none."""
        found = self._index.get((nation, level))
        if found is not None:
            return found
        why = self.unmapped.get((nation, level))
        detail = f" ({why})" if why else ""
        raise UnmappedLevelError(
            f"classification {level!r} of {nation} has no row in the {self.policy} equivalence "
            f"table{detail}; it is denied. Use a mapped level or get the table amended."
        )

    def row_at(self, rank: int) -> LevelRow:
        for row in self.rows:
            if row.rank == rank:
                return row
        raise UnmappedLevelError(
            f"rank {rank} has no row in the {self.policy} equivalence table; it is denied"
        )


def _fail(path: str, what: str) -> EquivalenceTableError:
    return EquivalenceTableError(
        f"equivalence table {path}: {what}; fix the file or remove the override"
    )


def _parse_row(raw: Any, nations: tuple[str, ...], path: str) -> LevelRow:
    if not isinstance(raw, dict):
        raise _fail(path, "each [[rows]] entry must be a table")
    try:
        rank, english = raw["rank"], raw["english"]
        basis, settled, source = raw["basis"], raw["settled"], raw["source"]
    except KeyError as exc:
        raise _fail(path, f"a row lacks {exc.args[0]!r}") from None
    if not isinstance(rank, int) or isinstance(rank, bool) or rank < 0:
        raise _fail(path, f"rank {rank!r} is not a non-negative integer")
    if basis not in _BASES or not isinstance(settled, bool) or not str(source).strip():
        raise _fail(path, f"row {english!r} needs basis V/T/U, settled true/false and a source")
    levels: dict[str, tuple[str, ...]] = {}
    for nation in nations:
        names = raw.get(nation, [])
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise _fail(path, f"row {english!r}: {nation} levels must be a list of strings")
        if names:
            levels[nation] = tuple(names)
    return LevelRow(rank, str(english), levels, basis, settled, str(source))


def _parse_ladder(nation: str, raw: Any, path: str) -> NationalLadder:
    if not isinstance(raw, dict):
        raise _fail(path, f"[ladders.{nation}] must be a table")
    steps, basis, source = raw.get("steps"), raw.get("basis"), raw.get("source")
    if basis not in _BASES or not str(source or "").strip():
        raise _fail(path, f"[ladders.{nation}] needs basis V/T/U and a source")
    if (
        not isinstance(steps, list)
        or not steps
        or not all(
            isinstance(step, list) and step and all(isinstance(n, str) and n for n in step)
            for step in steps
        )
    ):
        raise _fail(path, f"[ladders.{nation}] steps must be a list of lists of level names")
    names = [name for step in steps for name in step]
    if len(set(names)) != len(names):
        raise _fail(path, f"[ladders.{nation}] lists a level twice")
    return NationalLadder(nation, tuple(tuple(step) for step in steps), basis, str(source))


def _check_ladder(ladder: NationalLadder, rows: tuple[LevelRow, ...], path: str) -> None:
    """Every level the rows give the nation is on its ladder, in the same order."""
    placed = []
    for row in rows:
        for name in row.levels.get(ladder.nation, ()):
            position = ladder.rank_of(name)
            if position is None:
                raise _fail(path, f"[ladders.{ladder.nation}] lacks the mapped level {name!r}")
            placed.append((row.rank, position, name))
    for common_a, national_a, a in placed:
        for common_b, national_b, b in placed:
            if (common_a < common_b) != (national_a < national_b):
                raise _fail(
                    path, f"[ladders.{ladder.nation}] orders {a!r} and {b!r} unlike the rows"
                )


def _check_unique(rows: tuple[LevelRow, ...], path: str) -> None:
    ranks = [row.rank for row in rows]
    if len(set(ranks)) != len(ranks):
        raise _fail(path, "two rows share a rank")
    seen: set[tuple[str, str]] = set()
    for row in rows:
        for nation, names in row.levels.items():
            for name in names:
                if (nation, name) in seen:
                    raise _fail(path, f"{nation} level {name!r} appears in two rows")
                seen.add((nation, name))


def parse_table(data: Mapping[str, Any], path: str = TABLE_RESOURCE) -> EquivalenceTable:
    """Validate a decoded TOML document and build the table."""
    raw_nations = data.get("nations")
    if not isinstance(raw_nations, dict) or not raw_nations:
        raise _fail(path, "no [nations.XXX] tables")
    governments: dict[str, tuple[str, str]] = {}
    for nation, info in raw_nations.items():
        if not isinstance(info, dict) or not info.get("government"):
            raise _fail(path, f"[nations.{nation}] needs a government name")
        governments[nation] = (str(info["government"]), str(info.get("government_native", "")))
    rows = tuple(
        sorted(
            (_parse_row(raw, tuple(governments), path) for raw in data.get("rows", [])),
            key=lambda row: row.rank,
        )
    )
    if not rows:
        raise _fail(path, "no [[rows]]")
    _check_unique(rows, path)
    unmapped: dict[tuple[str, str], str] = {}
    for raw in data.get("unmapped", []):
        key = (str(raw.get("nation", "")), str(raw.get("level", "")))
        if any(key[1] in row.levels.get(key[0], ()) for row in rows):
            raise _fail(path, f"{key[0]} level {key[1]!r} is both mapped and unmapped")
        unmapped[key] = str(raw.get("source", ""))
    policy = data.get("policy")
    if not isinstance(policy, str) or not policy:
        raise _fail(path, "no policy identifier")
    raw_ladders = data.get("ladders", {})
    if not isinstance(raw_ladders, dict):
        raise _fail(path, "[ladders] must hold one [ladders.XXX] table per nation")
    ladders = {}
    for nation, raw in raw_ladders.items():
        if nation not in governments:
            raise _fail(path, f"[ladders.{nation}] names a nation without [nations.{nation}]")
        ladders[nation] = _parse_ladder(nation, raw, path)
        _check_ladder(ladders[nation], rows, path)
    return EquivalenceTable(policy, governments, rows, unmapped, ladders)


def load_table(path: Path) -> EquivalenceTable:
    """Read a table from ``path`` (e.g. the signed table replacing the shipped proposal)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise _fail(str(path), f"cannot be read ({exc})") from exc
    return parse_table(data, str(path))


TABLE_ENV = "SETU_EQUIVALENCE_TABLE"  # setu.settings: replaces the shipped table


@functools.cache
def _shipped_table() -> EquivalenceTable:
    text = resources.files("setu.security").joinpath(TABLE_RESOURCE).read_text("utf-8")
    return parse_table(tomllib.loads(text))


@functools.cache
def _file_table(path: str) -> EquivalenceTable:
    return load_table(Path(path))


def default_table(environ: Mapping[str, str] | None = None) -> EquivalenceTable:
    """The table in force: the file named by ``SETU_EQUIVALENCE_TABLE`` if set (e.g. the
    signed table), else the one shipped with setu; each parsed once per process."""
    path = (os.environ if environ is None else environ).get(TABLE_ENV, "")
    return _file_table(path) if path else _shipped_table()


def rank(nation: str, level: str, table: EquivalenceTable | None = None) -> int:
    """Rank of ``level`` (in ``nation``'s scheme) on the common ladder.

    Raises :class:`UnmappedLevelError` for anything the table does not map.
    """
    return (table or default_table()).row_of(nation, level).rank


def national_rank(nation: str, level: str, table: EquivalenceTable | None = None) -> int:
    """Rank of ``level`` on ``nation``'s own ladder, for comparing a principal and a label of
    the same nation only. A nation without a ladder in the table uses its common-ladder ranks.

    Raises :class:`UnmappedLevelError` for a level not on the ladder.
    """
    tbl = table or default_table()
    ladder = tbl.ladders.get(nation)
    if ladder is None:
        return rank(nation, level, tbl)
    position = ladder.rank_of(level)
    if position is None:
        raise UnmappedLevelError(
            f"classification {level!r} is not a level of {nation}'s scheme in the {tbl.policy} "
            "equivalence table; it is denied. Use one of "
            f"{[name for step in ladder.steps for name in step]}."
        )
    return position


def level_at(nation: str, rank_value: int, table: EquivalenceTable | None = None) -> str:
    """The level ``nation`` shows for ``rank_value`` (the first level of its row)."""
    tbl = table or default_table()
    names = tbl.row_at(rank_value).levels.get(nation)
    if not names:
        raise UnmappedLevelError(
            f"{nation} has no level at rank {rank_value} in the {tbl.policy} equivalence "
            "table; it is denied"
        )
    return names[0]


def equivalent(label: Label, to_nation: str, table: EquivalenceTable | None = None) -> str:
    """The marking ``to_nation`` shows for ``label`` (the label itself is not changed).

    For the originator's own nation this is the label's own level, once it is known to be mapped.
    """
    tbl = table or default_table()
    row = tbl.row_of(label.originator_nation, label.classification)
    if to_nation == label.originator_nation:
        return label.classification
    return level_at(to_nation, row.rank, tbl)


def government(nation: str, table: EquivalenceTable | None = None) -> tuple[str, str]:
    """(English name, native name) of ``nation``'s government, e.g. for a recipient marking."""
    tbl = table or default_table()
    try:
        return tbl.governments[nation]
    except KeyError:
        raise UnmappedLevelError(
            f"{nation} is not a party to the {tbl.policy} equivalence table; "
            "its markings cannot be shown"
        ) from None


def is_settled(nation: str, level: str, table: EquivalenceTable | None = None) -> bool:
    """Whether the row of ``level`` is settled by a public text (false: proposed only)."""
    return (table or default_table()).row_of(nation, level).settled


__all__ = [
    "EquivalenceTable",
    "LevelRow",
    "NationalLadder",
    "default_table",
    "equivalent",
    "government",
    "is_settled",
    "level_at",
    "load_table",
    "national_rank",
    "parse_table",
    "rank",
]
