"""The exercise register: series, editions (dates, host, area as GeoJSON) and units."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from shapely.geometry import shape
from sqlalchemy.orm import Session

from setu.coop.models import (
    Engagement,
    EngagementStatus,
    ExerciseEdition,
    ExerciseSeries,
    ExerciseUnit,
)
from setu.coop.records import record
from setu.db.base import Classification
from setu.errors import ValidationError

_AREA_TYPES = {"Polygon", "MultiPolygon", "Point", "LineString", "MultiPoint", "MultiLineString"}


#: Largest exercise-area file read (a detailed coastline polygon is well under this).
MAX_AREA_BYTES = 16 * 1024 * 1024


def read_area(path: Path) -> str:
    """The text of a GeoJSON file, read no further than needed to refuse one over the limit."""
    with path.open("rb") as handle:
        data = handle.read(MAX_AREA_BYTES + 1)
    if len(data) > MAX_AREA_BYTES:
        raise ValidationError(f"area file {path.name} is over 16 MiB; simplify the geometry")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"area file {path.name} is not UTF-8 text (GeoJSON): {exc}") from exc


def validate_area(area: dict[str, Any] | str) -> dict[str, Any]:
    """A valid GeoJSON geometry (or a Feature's geometry) in WGS84 lon/lat, as a new dict."""
    try:
        data = json.loads(area) if isinstance(area, str) else area
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"exercise area is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationError("exercise area must be a GeoJSON object")
    if data.get("type") == "Feature":
        data = data.get("geometry") or {}
    if data.get("type") not in _AREA_TYPES:
        raise ValidationError(
            f"exercise area type {data.get('type')!r} is not a GeoJSON geometry "
            f"({', '.join(sorted(_AREA_TYPES))})"
        )
    try:
        geometry = shape(data)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise ValidationError(f"exercise area is not valid GeoJSON: {exc}") from exc
    if geometry.is_empty or not geometry.is_valid:
        raise ValidationError(
            "exercise area geometry is empty or invalid (self-intersecting or unclosed ring); "
            "draw it again"
        )
    lon_min, lat_min, lon_max, lat_max = geometry.bounds
    if lon_min < -180 or lon_max > 180 or lat_min < -90 or lat_max > 90:
        raise ValidationError("exercise area coordinates must be lon/lat degrees (WGS84)")
    return json.loads(json.dumps(data))


def create_edition(
    session: Session,
    series: ExerciseSeries,
    *,
    name: str,
    start_on: date,
    end_on: date,
    host: str | None,
    area_name: str | None,
    area: dict[str, Any] | str | None,
    notes: str,
    engagement: Engagement | None,
    classification: Classification,
) -> ExerciseEdition:
    if end_on < start_on:
        raise ValidationError(f"edition end {end_on} is before its start {start_on}")
    title = edition_name(name)
    same = [e.name for e in series.editions if edition_name(e.name).casefold() == title.casefold()]
    if same:
        raise ValidationError(
            f"{series.name} already has an edition {same[0]!r}, and {name!r} is the same name "
            "(names ignore case and extra spaces); record its units on that edition instead"
        )
    edition = ExerciseEdition(
        series_id=series.id,
        name=title,
        start_on=start_on,
        end_on=end_on,
        host=_country(host, "host") if host else None,
        area_name=area_name,
        area=validate_area(area) if area is not None else None,
        notes=notes,
        engagement_id=engagement.id if engagement is not None else None,
        classification=classification,
    )
    session.add(edition)
    if engagement is not None and engagement.status is not EngagementStatus.CANCELLED:
        engagement.status = EngagementStatus.HELD
        engagement.sequence += 1
    session.flush()
    return edition


def edition_name(name: str) -> str:
    """An edition's name with surrounding spaces removed and inner runs of spaces made one."""
    title = " ".join(name.split())
    if not title:
        raise ValidationError("edition name is required (e.g. 'JIMEX 26')")
    return title


def _country(code: str, what: str) -> str:
    value = code.strip().upper()
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise ValidationError(f"{what} {code!r} must be an ISO 3166 alpha-2 code (IN, JP, US)")
    return value


def add_unit(edition: ExerciseEdition, *, country: str, service: str, unit: str) -> ExerciseUnit:
    row = ExerciseUnit(
        country=_country(country, "country"),
        service=service,
        unit=unit,
        classification=edition.classification,
    )
    edition.units.append(row)
    return row


def edition_view(edition: ExerciseEdition) -> dict[str, Any]:
    row = record(edition)
    row["series"] = edition.series.key
    row["series_name"] = edition.series.name
    row["units"] = [record(u, exclude=("edition_id",)) for u in edition.units]
    return row


def edition_feature(edition: ExerciseEdition) -> dict[str, Any] | None:
    """The edition as a GeoJSON Feature (None when it has no area)."""
    if edition.area is None:
        return None
    props = {k: v for k, v in edition_view(edition).items() if k != "area"}
    return {"type": "Feature", "geometry": edition.area, "properties": props}
