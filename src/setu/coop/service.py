"""The Python API of the cooperation framework (what the CLI and the web UI call).

:class:`Cooperation` opens one unit of work per call and returns plain dicts (JSON-ready apart
from dates), never live ORM rows. Time comes from the injected clock.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from setu.coop import calendar as cal
from setu.coop import compliance as comp
from setu.coop.actionplan import Cadence
from setu.coop.api_base import key_matches
from setu.coop.api_records import RecordsApi
from setu.coop.models import (
    Agreement,
    AgreementRelation,
    AgreementStatus,
    Alternation,
    Engagement,
    EngagementStatus,
    Mechanism,
    MechanismKind,
    Relation,
)
from setu.coop.records import record
from setu.coop.seeding import SeedReport, is_seeded, seed_framework
from setu.db.base import Classification, Party, parse_enum
from setu.db.limits import normalise_key
from setu.errors import NotFoundError, ValidationError

_AGREEMENT_FIELDS = {
    "title",
    "kind",
    "signed_on",
    "signed_precision",
    "place",
    "entry_into_force",
    "term_years",
    "renewal",
    "status",
    "summary",
    "source",
    "classification",
}
_MECHANISM_FIELDS = {
    "title",
    "kind",
    "cadence",
    "slots_per_year",
    "owners",
    "level",
    "alternation",
    "anchor_year",
    "anchor_host",
    "preferred_month",
    "duration_days",
    "classification",
}
_ENUM_FIELDS: dict[str, type[Any]] = {
    "status": AgreementStatus,
    "classification": Classification,
    "kind": MechanismKind,
    "cadence": Cadence,
    "alternation": Alternation,
    "anchor_host": Party,
}


#: Whole-number fields and their allowed range (inclusive), with what the range means.
_RANGES: dict[str, tuple[int, int, str]] = {
    "term_years": (1, 100, "a term of 1 to 100 years (leave it out for no fixed term)"),
    "preferred_month": (1, 12, "a month 1–12"),
    "slots_per_year": (0, 12, "0–12 engagements a year"),
    "duration_days": (1, 366, "1–366 days"),
    "anchor_year": (1900, 2999, "a four-digit year"),
}


def _whole(field: str, value: Any) -> int:
    low, high, meaning = _RANGES[field]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"{field} {value!r} must be a whole number: {meaning}")
    try:
        number = int(value)
    except ValueError as exc:
        raise ValidationError(f"{field} {value!r} must be a whole number: {meaning}") from exc
    if not low <= number <= high:
        raise ValidationError(f"{field} {number} is out of range: {meaning}")
    return number


def _coerce(field: str, value: Any, *, agreement: bool) -> Any:
    if value is None:
        return None
    if field in _ENUM_FIELDS and not (agreement and field == "kind"):
        return parse_enum(_ENUM_FIELDS[field], value, field)
    if field in ("signed_on", "entry_into_force") and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(f"{field} {value!r} is not a date YYYY-MM-DD") from exc
    if field in _RANGES:
        return _whole(field, value)
    return value


class Cooperation(RecordsApi):
    """Agreements, mechanisms, the annual calendar, meetings, exercises and compliance."""

    # -- seed -----------------------------------------------------------------------------
    def seed(self) -> SeedReport:
        """Add the packaged framework (agreements, Action Plan mechanisms, exercise series).

        Idempotent, also when several processes seed at once: under the framework's write
        lock each run adds only what the runs before it did not.
        """
        with self._writing() as s:
            return seed_framework(s, self.now())

    def ensure_seeded(self) -> SeedReport | None:
        with self._session() as s:
            if is_seeded(s):
                return None
        return self.seed()

    # -- agreements -----------------------------------------------------------------------
    def _agreement(self, s: Session, key: str) -> Agreement:
        try:
            match = key_matches(Agreement.key, key, "agreement key")
        except ValidationError:
            match = None  # not a key at all: not found
        row = None
        if match is not None:
            row = s.scalars(select(Agreement).where(match).order_by(Agreement.id)).first()
        if row is None:
            raise NotFoundError(f"no agreement {key!r}; list them with `setu coop agreements list`")
        return row

    def _agreement_view(self, s: Session, row: Agreement) -> dict[str, Any]:
        view = record(row)
        keys = {a.id: a.key for a in s.scalars(select(Agreement))}
        rels = s.scalars(
            select(AgreementRelation).where(
                or_(AgreementRelation.from_id == row.id, AgreementRelation.to_id == row.id)
            )
        )
        view["relations"] = [
            {
                "from": keys[r.from_id],
                "relation": r.relation.value,
                "to": keys[r.to_id],
                "note": r.note,
            }
            for r in rels
        ]
        view["mechanisms"] = [m.key for m in row.mechanisms]
        return view

    def list_agreements(self) -> list[dict[str, Any]]:
        with self._session() as s:
            rows = s.scalars(select(Agreement).order_by(Agreement.signed_on, Agreement.id))
            return [self._agreement_view(s, r) for r in rows]

    def get_agreement(self, key: str) -> dict[str, Any]:
        with self._session() as s:
            return self._agreement_view(s, self._agreement(s, key))

    def create_agreement(self, key: str, title: str, **fields: Any) -> dict[str, Any]:
        unknown = set(fields) - _AGREEMENT_FIELDS - {"parties"}
        if unknown:
            raise ValidationError(f"unknown agreement fields: {', '.join(sorted(unknown))}")
        if not key.strip() or not title.strip():
            raise ValidationError("an agreement needs a key and a title")
        normal = normalise_key(key, "agreement key", Agreement.key)
        values = {f: _coerce(f, v, agreement=True) for f, v in fields.items()}
        with self._writing() as s:
            same = s.scalars(select(Agreement).where(key_matches(Agreement.key, key, "key")))
            existing = same.first()
            if existing is not None:
                raise ValidationError(
                    f"agreement {existing.key!r} exists and {key!r} is the same key (keys ignore "
                    "case and surrounding spaces); use `setu coop agreements update`"
                )
            now = self.now()
            row = Agreement(
                key=normal,
                title=title,
                kind=values.pop("kind", None) or "agreement",
                parties=values.pop("parties", None) or ["IN", "JP"],
                status=values.pop("status", None) or AgreementStatus.SIGNED,
                signed_precision=values.pop("signed_precision", None) or "day",
                summary=values.pop("summary", None) or "",
                source=values.pop("source", None) or "",
                classification=values.pop("classification", None) or Classification.UNCLASSIFIED,
                created_at=now,
                updated_at=now,
                **values,
            )
            s.add(row)
            s.flush()
            return self._agreement_view(s, row)

    def update_agreement(self, key: str, **fields: Any) -> dict[str, Any]:
        unknown = set(fields) - _AGREEMENT_FIELDS
        if unknown:
            raise ValidationError(f"unknown agreement fields: {', '.join(sorted(unknown))}")
        values = {f: _coerce(f, v, agreement=True) for f, v in fields.items()}
        with self._writing() as s:
            row = self._agreement(s, key)
            for field, value in values.items():
                setattr(row, field, value)
            row.updated_at = self.now()
            return self._agreement_view(s, row)

    def relate(self, from_key: str, relation: str, to_key: str, note: str = "") -> dict[str, Any]:
        """Record lineage: ``from_key`` implements/supersedes/amends/builds_on ``to_key``."""
        rel = parse_enum(Relation, relation, "relation")
        with self._writing() as s:
            src, dst = self._agreement(s, from_key), self._agreement(s, to_key)
            if src.id == dst.id:
                raise ValidationError("an agreement cannot relate to itself")
            if from_key in self._ancestors(s, dst, set()):
                raise ValidationError(f"{from_key} -> {to_key} would make a cycle in the lineage")
            s.add(AgreementRelation(from_id=src.id, to_id=dst.id, relation=rel, note=note))
            if rel is Relation.SUPERSEDES:
                dst.status = AgreementStatus.SUPERSEDED
                dst.updated_at = self.now()
            s.flush()
            return self._agreement_view(s, src)

    def _ancestors(self, s: Session, row: Agreement, seen: set[str]) -> set[str]:
        for rel in s.scalars(select(AgreementRelation).where(AgreementRelation.from_id == row.id)):
            parent = s.get(Agreement, rel.to_id)
            if parent is not None and parent.key not in seen:
                seen.add(parent.key)
                self._ancestors(s, parent, seen)
        return seen

    def lineage(self, key: str) -> dict[str, Any]:
        """What ``key`` rests on (ancestors), what rests on it (descendants), what replaced it."""
        with self._session() as s:
            row = self._agreement(s, key)
            rels = list(s.scalars(select(AgreementRelation)))
            keys = {a.id: a.key for a in s.scalars(select(Agreement))}
            down: set[str] = set()
            frontier = {row.id}
            while frontier:
                nxt = {r.from_id for r in rels if r.to_id in frontier} - {
                    i for i, k in keys.items() if k in down
                }
                down |= {keys[i] for i in nxt}
                frontier = nxt
            superseded_by = [
                keys[r.from_id]
                for r in rels
                if r.to_id == row.id and r.relation is Relation.SUPERSEDES
            ]
            return {
                "agreement": key,
                "rests_on": sorted(self._ancestors(s, row, set())),
                "rested_on_by": sorted(down),
                "superseded_by": sorted(superseded_by),
            }

    # -- mechanisms -----------------------------------------------------------------------
    def _mechanism_view(self, m: Mechanism) -> dict[str, Any]:
        view = record(m)
        view["agreement"] = m.agreement.key if m.agreement is not None else None
        return view

    def list_mechanisms(
        self, *, section: int | None = None, kind: str | None = None, scheduled: bool = False
    ) -> list[dict[str, Any]]:
        with self._session() as s:
            query = select(Mechanism).order_by(Mechanism.position, Mechanism.id)
            if section is not None:
                query = query.where(Mechanism.section == section)
            if kind is not None:
                query = query.where(Mechanism.kind == parse_enum(MechanismKind, kind, "kind"))
            if scheduled:
                query = query.where(Mechanism.slots_per_year > 0)
            return [self._mechanism_view(m) for m in s.scalars(query)]

    def get_mechanism(self, key: str) -> dict[str, Any]:
        with self._session() as s:
            return self._mechanism_view(self._mechanism(s, key))

    def update_mechanism(self, key: str, **fields: Any) -> dict[str, Any]:
        unknown = set(fields) - _MECHANISM_FIELDS
        if unknown:
            raise ValidationError(f"unknown mechanism fields: {', '.join(sorted(unknown))}")
        values = {f: _coerce(f, v, agreement=False) for f, v in fields.items()}
        with self._writing() as s:
            row = self._mechanism(s, key)
            for field, value in values.items():
                setattr(row, field, value)
            return self._mechanism_view(row)

    # -- calendar -------------------------------------------------------------------------
    @staticmethod
    def _engagement_view(e: Engagement) -> dict[str, Any]:
        view = record(e)
        view["mechanism"] = e.mechanism.key
        view["kind"] = e.mechanism.kind.value
        return view

    def generate_calendar(self, year: int) -> list[dict[str, Any]]:
        """Create the year's proposed engagements (idempotent); returns the new ones."""
        with self._writing() as s:
            created = cal.generate_year(s, year, now=self.now(), actor=self.actor)
            return [self._engagement_view(e) for e in created]

    def list_engagements(
        self, *, year: int | None = None, mechanism: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        with self._session() as s:
            return [self._engagement_view(e) for e in self._engagements(s, year, mechanism, status)]

    def _engagements(
        self, s: Session, year: int | None, mechanism: str | None, status: str | None
    ) -> list[Engagement]:
        query = select(Engagement).order_by(Engagement.start_on, Engagement.id)
        if year is not None:
            query = query.where(Engagement.year == cal.check_year(year))
        if mechanism is not None:
            query = query.where(Engagement.mechanism_id == self._mechanism(s, mechanism).id)
        if status is not None:
            query = query.where(Engagement.status == parse_enum(EngagementStatus, status, "status"))
        return list(s.scalars(query))

    def get_engagement(self, engagement_id: int) -> dict[str, Any]:
        with self._session() as s:
            row = self._engagement(s, engagement_id)
            view = self._engagement_view(row)
            from setu.coop.models import EngagementChange

            changes = s.scalars(
                select(EngagementChange)
                .where(EngagementChange.engagement_id == row.id)
                .order_by(EngagementChange.id)
            )
            view["changes"] = [record(c, exclude=("engagement_id",)) for c in changes]
            return view

    def _change(
        self, engagement_id: int, action: str, apply: Any, detail: dict[str, Any]
    ) -> dict[str, Any]:
        with self._writing() as s:
            row = self._engagement(s, engagement_id)
            cal.check_allowed(row, action)
            before = {"status": row.status.value, "start_on": row.start_on, "end_on": row.end_on}
            apply(row)
            row.sequence += 1
            row.updated_at = self.now()
            detail = {**{k: str(v) for k, v in before.items()}, **detail}
            cal.log_change(s, row, at=self.now(), actor=self.actor, action=action, detail=detail)
            return self._engagement_view(row)

    def schedule(
        self,
        engagement_id: int,
        start_on: date,
        end_on: date | None = None,
        *,
        place: str | None = None,
        host: str | None = None,
    ) -> dict[str, Any]:
        """Fix the agreed dates (and optionally place and host) of an engagement."""
        end = end_on or start_on
        cal.check_dates(start_on, end)

        def apply(row: Engagement) -> None:
            row.start_on, row.end_on = start_on, end
            row.status = EngagementStatus.SCHEDULED
            if place is not None:
                row.place = place
            if host is not None:
                row.host = parse_enum(Party, host, "host")

        detail = {"to_start": str(start_on), "to_end": str(end), "place": place, "host": host}
        return self._change(engagement_id, "schedule", apply, detail)

    def move(
        self, engagement_id: int, start_on: date, end_on: date | None = None
    ) -> dict[str, Any]:
        """Move an engagement to new dates, keeping its length when no end is given."""

        def apply(row: Engagement) -> None:
            end = end_on or (start_on + (row.end_on - row.start_on))
            cal.check_dates(start_on, end)
            row.start_on, row.end_on = start_on, end
            if row.start_on.year != row.year:
                raise ValidationError(
                    f"engagement {row.id} belongs to the {row.year} calendar; cancel it and "
                    f"generate {row.start_on.year} instead of moving it across years"
                )

        return self._change(engagement_id, "move", apply, {"to_start": str(start_on)})

    def hold(self, engagement_id: int, reason: str) -> dict[str, Any]:
        def apply(row: Engagement) -> None:
            row.status = EngagementStatus.ON_HOLD
            row.notes = reason

        return self._change(engagement_id, "hold", apply, {"reason": reason})

    def resume(self, engagement_id: int) -> dict[str, Any]:
        def apply(row: Engagement) -> None:
            row.status = EngagementStatus.SCHEDULED

        return self._change(engagement_id, "resume", apply, {})

    def cancel(self, engagement_id: int, reason: str) -> dict[str, Any]:
        if not reason.strip():
            raise ValidationError("say why the engagement is cancelled (--reason)")

        def apply(row: Engagement) -> None:
            row.status = EngagementStatus.CANCELLED
            row.notes = reason

        return self._change(engagement_id, "cancel", apply, {"reason": reason})

    def export_ical(self, *, year: int | None = None, mechanism: str | None = None) -> bytes:
        """An RFC 5545 calendar: one per year, or one per mechanism (optionally per year)."""
        if year is None and mechanism is None:
            raise ValidationError("export one year (--year) or one mechanism (--mechanism)")
        with self._session() as s:
            rows = self._engagements(s, year, mechanism, None)
            if mechanism is not None:
                name = f"{self._mechanism(s, mechanism).title}" + (f" {year}" if year else "")
            else:
                name = f"Annual Calendar of Defence Cooperation and Exchanges {year}"
            return cal.to_ical(rows, name=name, now=self.now())

    # -- compliance -----------------------------------------------------------------------
    def compliance(self, year: int) -> list[dict[str, Any]]:
        cal.check_year(year)
        with self._session() as s:
            return [r.as_dict() for r in comp.compliance(s, year, self.today())]

    def flags(self, year: int) -> list[dict[str, Any]]:
        cal.check_year(year)
        with self._session() as s:
            return [f.as_dict() for f in comp.flags(s, year, self.today())]
