"""Seeding the framework from the packaged, cited seed files in ``setu/coop/seed``.

Seeding is idempotent: records are matched by key and only missing ones are added, so a desk
officer's later edits are never overwritten. :data:`SEED_FILES` lists what is applied.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from setu.coop.actionplan import DEFAULT_SLOTS_PER_YEAR, ActionPlan, parse_action_plan
from setu.coop.models import (
    Agreement,
    AgreementRelation,
    AgreementStatus,
    Alternation,
    ExerciseSeries,
    Mechanism,
    MechanismKind,
    Relation,
    SeedRun,
)
from setu.db.base import Party
from setu.errors import InputError

SEED_PACKAGE = "setu.coop"
SEED_FILES = ("agreements.json", "action_plan_2009.txt", "action_plan_2009.json", "exercises.json")
ACTION_PLAN_KEY = "action-plan-2009"


def seed_text(name: str) -> str:
    """The text of one packaged seed file."""
    try:
        return resources.files(SEED_PACKAGE).joinpath("seed", name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"packaged seed file {name} cannot be read ({exc}); reinstall setu"
        ) from exc


@cache
def seed_json(name: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(seed_text(name))
    except json.JSONDecodeError as exc:
        raise InputError(f"packaged seed file {name} is not valid JSON: {exc}") from exc
    return data


@cache
def packaged_action_plan() -> ActionPlan:
    return parse_action_plan(seed_text("action_plan_2009.txt"))


def seed_digest() -> str:
    digest = hashlib.sha256()
    for name in SEED_FILES:
        digest.update(seed_text(name).encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class SeedReport:
    agreements: int
    relations: int
    mechanisms: int
    exercise_series: int

    def as_dict(self) -> dict[str, int]:
        return {
            "agreements": self.agreements,
            "relations": self.relations,
            "mechanisms": self.mechanisms,
            "exercise_series": self.exercise_series,
        }


def _seed_agreements(session: Session, now: datetime) -> tuple[int, int]:
    data = seed_json("agreements.json")
    existing = {a.key: a for a in session.scalars(select(Agreement))}
    added = 0
    for row in data["agreements"]:
        if row["key"] in existing:
            continue
        agreement = Agreement(
            key=row["key"],
            title=row["title"],
            kind=row["kind"],
            parties=list(row["parties"]),
            signed_on=date.fromisoformat(row["signed_on"]) if row["signed_on"] else None,
            signed_precision=row["precision"],
            place=row["place"],
            entry_into_force=(
                date.fromisoformat(row["entry_into_force"]) if row["entry_into_force"] else None
            ),
            term_years=row["term_years"],
            renewal=row["renewal"],
            status=AgreementStatus(row["status"]),
            summary=row["summary"],
            source=row["source"],
            created_at=now,
            updated_at=now,
        )
        session.add(agreement)
        existing[row["key"]] = agreement
        added += 1
    session.flush()
    have = {(r.from_id, r.to_id, r.relation) for r in session.scalars(select(AgreementRelation))}
    related = 0
    for rel in data["relations"]:
        ids = (existing[rel["from"]].id, existing[rel["to"]].id, Relation(rel["relation"]))
        if ids in have:
            continue
        session.add(
            AgreementRelation(from_id=ids[0], to_id=ids[1], relation=ids[2], note=rel["note"])
        )
        related += 1
    return added, related


def _seed_mechanisms(session: Session) -> int:
    plan = packaged_action_plan()
    notes = seed_json("action_plan_2009.json")
    annotations: dict[str, dict[str, Any]] = notes["items"]
    parsed = {item.key for item in plan.items}
    if parsed != set(annotations):
        raise InputError(
            "action_plan_2009.json and action_plan_2009.txt disagree on items: "
            f"{sorted(parsed ^ set(annotations))}; review the data file"
        )
    agreement = session.scalars(select(Agreement).where(Agreement.key == ACTION_PLAN_KEY)).one()
    have = set(session.scalars(select(Mechanism.key)))
    default_anchor = notes["host_anchor"]
    added = 0
    for item in plan.items:
        key = f"ap2009-{item.key}"
        if key in have:
            continue
        note = annotations[item.key]
        anchor = notes["anchors"].get(item.key, default_anchor)
        alternation = Alternation(note["alternation"])
        session.add(
            Mechanism(
                key=key,
                agreement_id=agreement.id,
                position=item.position,
                section=item.section,
                section_title=item.section_title,
                subsection=item.subsection,
                title=note["title"],
                text=item.text,
                kind=MechanismKind(note["kind"]),
                cadence=item.cadence,
                slots_per_year=DEFAULT_SLOTS_PER_YEAR[item.cadence],
                owners=list(note["owners"]),
                level=item.level or note.get("level"),
                alternation=alternation,
                anchor_year=anchor["year"] if alternation is not Alternation.NONE else None,
                anchor_host=Party(anchor["host"]) if alternation is not Alternation.NONE else None,
                preferred_month=note.get("preferred_month"),
                duration_days=note.get("duration_days", 1),
            )
        )
        added += 1
    return added


def _seed_exercises(session: Session) -> int:
    have = set(session.scalars(select(ExerciseSeries.key)))
    mechanisms = {m.key: m.id for m in session.scalars(select(Mechanism))}
    added = 0
    for row in seed_json("exercises.json")["series"]:
        if row["key"] in have:
            continue
        mech = f"ap2009-{row['mechanism']}" if row["mechanism"] else None
        session.add(
            ExerciseSeries(
                key=row["key"],
                name=row["name"],
                domain=row["domain"],
                scope=row["scope"],
                mechanism_id=mechanisms.get(mech) if mech else None,
                description=row["description"],
                source=row["source"],
            )
        )
        added += 1
    return added


def seed_framework(session: Session, now: datetime) -> SeedReport:
    """Add whatever of the packaged framework is missing; returns how much was added."""
    agreements, relations = _seed_agreements(session, now)
    session.flush()
    mechanisms = _seed_mechanisms(session)
    session.flush()
    series = _seed_exercises(session)
    digest = seed_digest()
    run = session.scalars(select(SeedRun).where(SeedRun.name == "framework")).one_or_none()
    if run is None:
        session.add(SeedRun(name="framework", digest=digest, applied_at=now))
    elif run.digest != digest:
        run.digest = digest
        run.applied_at = now
    return SeedReport(agreements, relations, mechanisms, series)


def is_seeded(session: Session) -> bool:
    run = session.scalars(select(SeedRun).where(SeedRun.name == "framework")).one_or_none()
    return run is not None and run.digest == seed_digest()
