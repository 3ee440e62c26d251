"""Tables of the cooperation framework: agreements, mechanisms, calendar, meetings, exercises.

Every table carries a ``classification`` marking (:class:`setu.db.Classification`). Dates of
engagements are calendar dates (``date``); instants (created, changed) are UTC datetimes.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from setu.coop.actionplan import Cadence
from setu.db.base import Base, ClassifiedMixin, Party, enum_column
from setu.db.types import UtcDateTime


class AgreementStatus(enum.StrEnum):
    UNDER_NEGOTIATION = "under_negotiation"
    SIGNED = "signed"
    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class Relation(enum.StrEnum):
    """How one agreement stands to another (``from`` *relation* ``to``)."""

    IMPLEMENTS = "implements"
    SUPERSEDES = "supersedes"
    AMENDS = "amends"
    BUILDS_ON = "builds_on"


class MechanismKind(enum.StrEnum):
    DIALOGUE = "dialogue"
    EXERCISE = "exercise"
    EXCHANGE = "exchange"
    INFORMATION_EXCHANGE = "information_exchange"
    COOPERATION = "cooperation"


class Alternation(enum.StrEnum):
    """How the venue of successive engagements alternates."""

    NONE = "none"
    HOST = "host"  # the host alternates between India and Japan
    WATERS = "waters"  # "alternately off India and Japan" (naval exercises)


class EngagementStatus(enum.StrEnum):
    """Life of a calendar engagement (after G-TSCMIS: proposed, planned, completed)."""

    PROPOSED = "proposed"  # generated from the cadence, date not yet agreed
    SCHEDULED = "scheduled"  # date agreed by both sides
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"
    HELD = "held"  # took place (a meeting record exists)


class OutcomeKind(enum.StrEnum):
    DECISION = "decision"
    INFORMATION = "information"
    ACTION = "action"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class Agreement(ClassifiedMixin, Base):
    __tablename__ = "coop_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    parties: Mapped[list[str]] = mapped_column(JSON)
    signed_on: Mapped[date | None] = mapped_column(Date)
    signed_precision: Mapped[str] = mapped_column(String(8), default="day")
    place: Mapped[str | None] = mapped_column(String(128))
    entry_into_force: Mapped[date | None] = mapped_column(Date)
    term_years: Mapped[int | None] = mapped_column(Integer)
    renewal: Mapped[str | None] = mapped_column(Text)
    status: Mapped[AgreementStatus] = mapped_column(enum_column(AgreementStatus))
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    mechanisms: Mapped[list[Mechanism]] = relationship(back_populates="agreement")


class AgreementRelation(ClassifiedMixin, Base):
    __tablename__ = "coop_agreement_relation"
    __table_args__ = (UniqueConstraint("from_id", "to_id", "relation", name="uq_relation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_id: Mapped[int] = mapped_column(ForeignKey("coop_agreement.id", ondelete="CASCADE"))
    to_id: Mapped[int] = mapped_column(ForeignKey("coop_agreement.id", ondelete="CASCADE"))
    relation: Mapped[Relation] = mapped_column(enum_column(Relation))
    note: Mapped[str] = mapped_column(Text, default="")


class Mechanism(ClassifiedMixin, Base):
    """A mechanism created by an agreement: one item of the Action Plan, or one added later."""

    __tablename__ = "coop_mechanism"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("coop_agreement.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    section: Mapped[int | None] = mapped_column(Integer)
    section_title: Mapped[str | None] = mapped_column(Text)
    subsection: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[MechanismKind] = mapped_column(enum_column(MechanismKind))
    cadence: Mapped[Cadence] = mapped_column(enum_column(Cadence))
    slots_per_year: Mapped[int] = mapped_column(Integer, default=0)
    owners: Mapped[list[str]] = mapped_column(JSON)
    level: Mapped[str | None] = mapped_column(Text)
    alternation: Mapped[Alternation] = mapped_column(enum_column(Alternation))
    anchor_year: Mapped[int | None] = mapped_column(Integer)
    anchor_host: Mapped[Party | None] = mapped_column(enum_column(Party, 2))
    preferred_month: Mapped[int | None] = mapped_column(Integer)
    duration_days: Mapped[int] = mapped_column(Integer, default=1)

    agreement: Mapped[Agreement | None] = relationship(back_populates="mechanisms")


class Engagement(ClassifiedMixin, Base):
    """One slot of the Annual Calendar of Defence Cooperation and Exchanges."""

    __tablename__ = "coop_engagement"
    __table_args__ = (UniqueConstraint("mechanism_id", "year", "slot", name="uq_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    mechanism_id: Mapped[int] = mapped_column(ForeignKey("coop_mechanism.id"))
    year: Mapped[int] = mapped_column(Integer, index=True)
    slot: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(240))
    status: Mapped[EngagementStatus] = mapped_column(enum_column(EngagementStatus))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    host: Mapped[Party | None] = mapped_column(enum_column(Party, 2))
    place: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    mechanism: Mapped[Mechanism] = relationship()


class EngagementChange(ClassifiedMixin, Base):
    """Who changed an engagement, when, and how (the calendar's audit trail)."""

    __tablename__ = "coop_engagement_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("coop_engagement.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class Meeting(ClassifiedMixin, Base):
    __tablename__ = "coop_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    mechanism_id: Mapped[int] = mapped_column(ForeignKey("coop_mechanism.id"), index=True)
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("coop_engagement.id"), unique=True)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    host: Mapped[Party] = mapped_column(enum_column(Party, 2))
    agenda: Mapped[list[str]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    mechanism: Mapped[Mechanism] = relationship()
    delegations: Mapped[list[Delegation]] = relationship(
        cascade="all, delete-orphan", order_by="Delegation.id"
    )
    outcomes: Mapped[list[Outcome]] = relationship(
        cascade="all, delete-orphan", order_by="Outcome.id"
    )
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="ActionItem.id"
    )


class Delegation(ClassifiedMixin, Base):
    __tablename__ = "coop_delegation"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("coop_meeting.id", ondelete="CASCADE"))
    party: Mapped[Party] = mapped_column(enum_column(Party, 2))
    leader: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(Integer)


class Outcome(ClassifiedMixin, Base):
    __tablename__ = "coop_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("coop_meeting.id", ondelete="CASCADE"))
    kind: Mapped[OutcomeKind] = mapped_column(enum_column(OutcomeKind))
    text: Mapped[str] = mapped_column(Text)


class ActionItem(ClassifiedMixin, Base):
    __tablename__ = "coop_action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("coop_meeting.id", ondelete="CASCADE"), index=True
    )
    outcome_id: Mapped[int | None] = mapped_column(ForeignKey("coop_outcome.id"))
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="action_items")


class ExerciseSeries(ClassifiedMixin, Base):
    __tablename__ = "coop_exercise_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    domain: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(32))
    mechanism_id: Mapped[int | None] = mapped_column(ForeignKey("coop_mechanism.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")

    editions: Mapped[list[ExerciseEdition]] = relationship(
        back_populates="series", order_by="ExerciseEdition.start_on"
    )


class ExerciseEdition(ClassifiedMixin, Base):
    __tablename__ = "coop_exercise_edition"
    __table_args__ = (UniqueConstraint("series_id", "name", name="uq_edition"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("coop_exercise_series.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    host: Mapped[str | None] = mapped_column(String(2))
    area_name: Mapped[str | None] = mapped_column(String(200))
    area: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text, default="")
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("coop_engagement.id"))

    series: Mapped[ExerciseSeries] = relationship(back_populates="editions")
    units: Mapped[list[ExerciseUnit]] = relationship(
        cascade="all, delete-orphan", order_by="ExerciseUnit.id"
    )


class ExerciseUnit(ClassifiedMixin, Base):
    __tablename__ = "coop_exercise_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("coop_exercise_edition.id", ondelete="CASCADE")
    )
    country: Mapped[str] = mapped_column(String(2))
    service: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(200))


class SeedRun(Base):
    """Which packaged seed data set was applied, and when."""

    __tablename__ = "coop_seed_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime)
