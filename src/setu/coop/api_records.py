"""The meetings, action-item and exercise-register part of the cooperation API."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from setu.coop import exercises as ex
from setu.coop import meetings as mt
from setu.coop.api_base import ApiBase, key_matches
from setu.coop.calendar import check_year
from setu.coop.compliance import flags as compliance_flags
from setu.coop.models import ActionStatus, ExerciseEdition, ExerciseSeries, Meeting
from setu.coop.records import record
from setu.db.base import Classification, parse_enum
from setu.db.limits import row_by_id
from setu.errors import NotFoundError, ValidationError


class RecordsApi(ApiBase):
    """Meetings with outcomes and action items; exercise series and editions."""

    # -- meetings and action items --------------------------------------------------------
    def record_meeting(
        self,
        mechanism: str,
        *,
        start_on: date,
        place: str,
        host: str,
        end_on: date | None = None,
        agenda: list[str] | None = None,
        delegations: list[mt.DelegationIn] | None = None,
        outcomes: list[mt.OutcomeIn] | None = None,
        summary: str = "",
        engagement_id: int | None = None,
        classification: str = "UNCLASSIFIED",
    ) -> dict[str, Any]:
        with self._writing() as s:
            meeting = mt.record_meeting(
                s,
                self._mechanism(s, mechanism),
                start_on=start_on,
                end_on=end_on,
                place=place,
                host=host,
                agenda=agenda or [],
                delegations=delegations or [],
                outcomes=outcomes or [],
                summary=summary,
                engagement=self._engagement(s, engagement_id) if engagement_id else None,
                classification=parse_enum(Classification, classification, "classification"),
                now=self.now(),
            )
            return mt.meeting_view(meeting, self.today())

    def list_meetings(self, *, mechanism: str | None = None) -> list[dict[str, Any]]:
        with self._session() as s:
            query = select(Meeting).order_by(Meeting.start_on, Meeting.id)
            if mechanism is not None:
                query = query.where(Meeting.mechanism_id == self._mechanism(s, mechanism).id)
            return [mt.meeting_view(m, self.today()) for m in s.scalars(query)]

    def get_meeting(self, meeting_id: int) -> dict[str, Any]:
        with self._session() as s:
            return mt.meeting_view(mt.get_meeting(s, meeting_id), self.today())

    def add_action_item(
        self,
        meeting_id: int,
        *,
        text: str,
        owner: str,
        due_on: date,
        outcome_id: int | None = None,
    ) -> dict[str, Any]:
        with self._writing() as s:
            meeting = mt.get_meeting(s, meeting_id)
            item = mt.add_action_item(
                s,
                meeting,
                text=text,
                owner=owner,
                due_on=due_on,
                outcome_id=outcome_id,
                now=self.now(),
            )
            return mt.action_view(item, self.today())

    def update_action_item(
        self,
        item_id: int,
        *,
        status: str | None = None,
        owner: str | None = None,
        due_on: date | None = None,
    ) -> dict[str, Any]:
        with self._writing() as s:
            item = mt.get_action_item(s, item_id)
            mt.update_action_item(item, status=status, owner=owner, due_on=due_on, now=self.now())
            return mt.action_view(item, self.today())

    def list_action_items(
        self, *, status: str | None = None, overdue: bool = False
    ) -> list[dict[str, Any]]:
        with self._session() as s:
            wanted = parse_enum(ActionStatus, status, "status") if status else None
            items = mt.list_action_items(s, status=wanted, overdue_only=overdue, today=self.today())
            return [mt.action_view(i, self.today()) for i in items]

    def alerts(self) -> list[dict[str, Any]]:
        """Everything overdue now: action items past due, engagements past their dates."""
        today = self.today()
        out: list[dict[str, Any]] = []
        for item in self.list_action_items(overdue=True):
            out.append(
                {
                    "kind": "action_item",
                    "id": item["id"],
                    "mechanism": item["mechanism"],
                    "what": item["text"],
                    "owner": item["owner"],
                    "due_on": item["due_on"],
                    "days_overdue": item["days_overdue"],
                }
            )
        for year in (today.year - 1, today.year):
            with self._session() as s:
                year_flags = [f.as_dict() for f in compliance_flags(s, year, today)]
            for flag in year_flags:
                out.append(
                    {
                        "kind": f"engagement_{flag['flag']}",
                        "id": flag["engagement_id"],
                        "mechanism": flag["mechanism"],
                        "what": flag["title"],
                        "owner": None,
                        "due_on": flag["end_on"],
                        "days_overdue": (today - flag["end_on"]).days,
                    }
                )
        return out

    # -- exercises ------------------------------------------------------------------------
    def _series(self, s: Session, key: str) -> ExerciseSeries:
        try:
            match = key_matches(ExerciseSeries.key, key, "exercise series key")
        except ValidationError:
            match = None  # not a key at all: not found
        row = None
        if match is not None:
            query = select(ExerciseSeries).where(match).order_by(ExerciseSeries.id)
            row = s.scalars(query).first()
        if row is None:
            raise NotFoundError(
                f"no exercise series {key!r}; list them with `setu coop exercises series`"
            )
        return row

    def list_series(self) -> list[dict[str, Any]]:
        with self._session() as s:
            rows = s.scalars(select(ExerciseSeries).order_by(ExerciseSeries.id))
            return [record(r) | {"editions": len(r.editions)} for r in rows]

    def create_edition(
        self,
        series: str,
        *,
        name: str,
        start_on: date,
        end_on: date,
        host: str | None = None,
        area_name: str | None = None,
        area: dict[str, Any] | str | None = None,
        units: list[tuple[str, str, str]] | None = None,
        notes: str = "",
        engagement_id: int | None = None,
        classification: str = "UNCLASSIFIED",
    ) -> dict[str, Any]:
        with self._writing() as s:
            edition = ex.create_edition(
                s,
                self._series(s, series),
                name=name,
                start_on=start_on,
                end_on=end_on,
                host=host,
                area_name=area_name,
                area=area,
                notes=notes,
                engagement=self._engagement(s, engagement_id) if engagement_id else None,
                classification=parse_enum(Classification, classification, "classification"),
            )
            for country, service, unit in units or []:
                ex.add_unit(edition, country=country, service=service, unit=unit)
            s.flush()
            return ex.edition_view(edition)

    def _edition(self, s: Session, edition_id: int) -> ExerciseEdition:
        row = row_by_id(s, ExerciseEdition, edition_id)
        if row is None:
            raise NotFoundError(
                f"no exercise edition {edition_id}; list them with `setu coop exercises list`"
            )
        return row

    def add_unit(self, edition_id: int, *, country: str, service: str, unit: str) -> dict[str, Any]:
        with self._writing() as s:
            edition = self._edition(s, edition_id)
            ex.add_unit(edition, country=country, service=service, unit=unit)
            s.flush()
            return ex.edition_view(edition)

    def list_editions(
        self, *, series: str | None = None, year: int | None = None
    ) -> list[dict[str, Any]]:
        if year is not None:
            check_year(year)
        with self._session() as s:
            query = select(ExerciseEdition).order_by(ExerciseEdition.start_on)
            if series is not None:
                query = query.where(ExerciseEdition.series_id == self._series(s, series).id)
            rows = [e for e in s.scalars(query) if year is None or e.start_on.year == year]
            return [ex.edition_view(e) for e in rows]

    def get_edition(self, edition_id: int) -> dict[str, Any]:
        with self._session() as s:
            return ex.edition_view(self._edition(s, edition_id))

    def editions_geojson(self, *, series: str | None = None) -> dict[str, Any]:
        """A FeatureCollection of every edition with an area (for the maritime picture)."""
        with self._session() as s:
            query = select(ExerciseEdition).order_by(ExerciseEdition.start_on)
            if series is not None:
                query = query.where(ExerciseEdition.series_id == self._series(s, series).id)
            features = [f for e in s.scalars(query) if (f := ex.edition_feature(e)) is not None]
            return {"type": "FeatureCollection", "features": features}
