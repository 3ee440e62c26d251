"""The exercise register: editions, units and GeoJSON areas validated with shapely."""

from __future__ import annotations

import json
from datetime import date

import pytest
from shapely.geometry import shape

from setu.coop import Cooperation
from setu.coop.exercises import validate_area
from setu.errors import NotFoundError, ValidationError

pytestmark = pytest.mark.unit

# A box in the Bay of Bengal off Visakhapatnam (lon/lat degrees).
BAY = {
    "type": "Polygon",
    "coordinates": [[[83.5, 16.5], [85.0, 16.5], [85.0, 17.8], [83.5, 17.8], [83.5, 16.5]]],
}


def test_edition_with_area_and_units(coop: Cooperation) -> None:
    edition = coop.create_edition(
        "jimex",
        name="JIMEX 26",
        start_on=date(2026, 10, 5),
        end_on=date(2026, 10, 9),
        host="IN",
        area_name="Bay of Bengal, off Visakhapatnam",
        area={"type": "Feature", "geometry": BAY, "properties": {}},
        units=[("IN", "Indian Navy", "INS Sahyadri"), ("JP", "JMSDF", "JS Kaga")],
        classification="RESTRICTED",
    )
    assert edition["series_name"] == "JIMEX"
    assert [u["unit"] for u in edition["units"]] == ["INS Sahyadri", "JS Kaga"]
    assert edition["area"] == BAY
    coop.add_unit(edition["id"], country="in", service="Indian Navy", unit="P-8I")
    assert coop.get_edition(edition["id"])["units"][-1]["country"] == "IN"
    fc = coop.editions_geojson(series="jimex")
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 1
    assert shape(fc["features"][0]["geometry"]).contains(
        shape({"type": "Point", "coordinates": [84, 17]})
    )
    json.dumps(fc, default=str)
    assert [e["name"] for e in coop.list_editions(year=2026)] == ["JIMEX 26"]
    assert coop.list_editions(year=2025) == []


@pytest.mark.parametrize(
    ("area", "message"),
    [
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "invalid"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]}, "not valid GeoJSON"),
        ({"type": "Circle", "coordinates": [0, 0]}, "not a GeoJSON geometry"),
        ({"type": "Point", "coordinates": [200.0, 10.0]}, "lon/lat"),
        ("[1, 2]", "GeoJSON object"),
    ],
)
def test_bad_areas_are_refused(area: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_area(area)  # type: ignore[arg-type]


def test_edition_rules(coop: Cooperation) -> None:
    with pytest.raises(ValidationError, match="before its start"):
        coop.create_edition(
            "malabar", name="Malabar 26", start_on=date(2026, 11, 9), end_on=date(2026, 11, 1)
        )
    with pytest.raises(NotFoundError):
        coop.create_edition("nope", name="x", start_on=date(2026, 1, 1), end_on=date(2026, 1, 2))
    with pytest.raises(ValidationError, match="ISO 3166"):
        coop.create_edition(
            "dharma-guardian",
            name="DG 26",
            start_on=date(2026, 2, 1),
            end_on=date(2026, 2, 14),
            units=[("IND", "Indian Army", "x")],
        )
