"""Labels: validation, canonical bytes, dict round trip, derive and recipient view."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from setu.errors import PolicyError
from setu.security.errors import InvalidLabelError, UnmappedLevelError
from setu.security.labels import (
    Label,
    Nation,
    Originator,
    Purpose,
    derive,
    recipient_view,
)

T0 = datetime(2025, 3, 1, 6, 30, 0, 123456, tzinfo=UTC)


def make(**over: object) -> Label:
    fields: dict[str, object] = {
        "originator_nation": "IND",
        "originator_node": "mumbai",
        "classification": "SECRET",
        "releasable_to": frozenset({"IND", "JPN"}),
        "purposes": frozenset({"MDA", "CT"}),
        "caveats": frozenset(),
        "created_at": T0,
    }
    fields.update(over)
    return Label(**fields)  # type: ignore[arg-type]


def test_contract_enums() -> None:
    assert [n.value for n in Nation] == ["IND", "JPN"]
    assert {p.value for p in Purpose} == {"MDA", "CT", "FIU", "HADR", "COOP", "LOGISTICS"}


def test_canonical_bytes_exact_form() -> None:
    label = make(
        releasable_to={"JPN", "IND"},
        caveats={"ORCON"},
        originator_nation="JPN",
        classification="極秘",
        originator_node="yokosuka",
    )
    assert (
        label.canonical_bytes()
        == (
            '{"caveats":["ORCON"],"classification":"極秘","created_at":"2025-03-01T06:30:00.123456Z",'
            '"originator_nation":"JPN","originator_node":"yokosuka","policy":"IND-JPN-2015",'
            '"purposes":["CT","MDA"],"releasable_to":["IND","JPN"]}'
        ).encode()
    )


def test_created_at_normalised_to_utc_and_padded() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    label = make(created_at=datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=ist))
    assert label.created_at.tzinfo is UTC
    assert label.to_dict()["created_at"] == "2025-03-01T06:30:00.123456Z"
    assert label == make()
    whole_second = make(created_at=datetime(2025, 1, 1, tzinfo=UTC))
    assert whole_second.to_dict()["created_at"] == "2025-01-01T00:00:00.000000Z"


def test_frozen_and_hashable() -> None:
    label = make(releasable_to=["JPN", "IND"])
    assert isinstance(label.releasable_to, frozenset)
    assert len({label, make()}) == 1
    with pytest.raises(AttributeError):
        label.classification = "CONFIDENTIAL"  # type: ignore[misc]


def test_dict_round_trip_and_json() -> None:
    label = make(caveats={"ORCON"})
    again = Label.from_dict(json.loads(label.canonical_bytes()))
    assert again == label
    assert again.canonical_bytes() == label.canonical_bytes()


@pytest.mark.parametrize(
    "over",
    [
        {"originator_nation": "IN"},
        {"originator_nation": "ind"},
        {"originator_node": "has space"},
        {"originator_node": ""},
        {"classification": ""},
        {"classification": " SECRET"},
        {"releasable_to": "IND"},
        {"releasable_to": {"IND", "japan"}},
        {"purposes": {"ASW"}},
        {"caveats": {"orcon"}},
        {"created_at": datetime(2025, 1, 1)},  # noqa: DTZ001 - the naive time under test
        {"policy": ""},
    ],
)
def test_invalid_labels_refused(over: dict[str, object]) -> None:
    with pytest.raises(InvalidLabelError):
        make(**over)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("caveats"),
        lambda d: d.update(extra=1),
        lambda d: d.update(releasable_to=["IND", "IND"]),
        lambda d: d.update(purposes="MDA"),
        lambda d: d.update(created_at="2025-03-01T06:30:00Z"),
        lambda d: d.update(created_at="2025-03-01T06:30:00.123456+00:00"),
        lambda d: d.update(created_at="2025-13-01T06:30:00.123456Z"),
    ],
)
def test_from_dict_is_strict(mutate) -> None:  # type: ignore[no-untyped-def]
    data = make().to_dict()
    mutate(data)
    with pytest.raises(InvalidLabelError):
        Label.from_dict(data)


def test_invalid_label_is_a_policy_error() -> None:
    assert issubclass(InvalidLabelError, PolicyError)
    assert issubclass(UnmappedLevelError, PolicyError)


def test_derive_same_originator_keeps_it() -> None:
    a = make(classification="CONFIDENTIAL", releasable_to={"IND", "JPN"}, created_at=T0)
    b = make(
        classification="SECRET",
        releasable_to={"IND"},
        purposes={"MDA"},
        caveats={"ORCON"},
        created_at=T0 + timedelta(seconds=5),
    )
    out = derive([a, b])
    assert out.originator == Originator("IND", "mumbai")
    assert out.classification == "SECRET"
    assert out.releasable_to == {"IND"}
    assert out.purposes == {"MDA"}
    assert out.caveats == {"ORCON"}
    assert out.created_at == T0 + timedelta(seconds=5)


def test_derive_reference_example_r10() -> None:
    """IND(REL IND,JPN) + JP(REL JPN) -> REL JPN at the higher level (reference notes R10)."""
    ind = make(classification="CONFIDENTIAL")
    jpn = make(
        originator_nation="JPN",
        originator_node="yokosuka",
        classification="極秘",
        releasable_to={"JPN"},
    )
    out = derive([ind, jpn], deriving=Originator("IND", "mumbai"))
    assert out.releasable_to == {"JPN"}
    assert out.classification == "SECRET"  # 極秘 in the deriving node's scheme
    assert out.originator_nation == "IND"
    on_jpn = derive([ind, jpn], deriving=Originator("JPN", "yokosuka"))
    assert on_jpn.classification == "極秘"


def test_derive_mixed_originators_needs_deriving_node() -> None:
    other = make(originator_node="kochi")
    with pytest.raises(InvalidLabelError, match="deriving"):
        derive([make(), other])


def test_derive_same_rank_different_names_uses_first_level() -> None:
    a = make(originator_nation="JPN", originator_node="y", classification="特定秘密")
    b = replace(a, classification="極秘")
    assert derive([a, a]).classification == "特定秘密"
    assert derive([a, b]).classification == "極秘"


def test_derive_refuses_unmapped_and_empty_and_mixed_policy() -> None:
    with pytest.raises(UnmappedLevelError):
        derive([make(), make(classification="RESTRICTED")])
    with pytest.raises(InvalidLabelError):
        derive([])
    with pytest.raises(InvalidLabelError, match="policies"):
        derive([make(), make(policy="OTHER")])


def test_recipient_view_art_4_2_example() -> None:
    """IND SECRET on a JPN node shows 極秘 and 'Government of India'; label unchanged."""
    label = make()
    before = label.canonical_bytes()
    view = recipient_view(label, "JPN")
    assert view.recipient_classification == "極秘"
    assert view.originator_government == "Government of India"
    assert view.originator_government_native == "インド共和国政府"
    assert view.marking == "極秘 — Government of India SECRET"
    assert view.label is label and label.canonical_bytes() == before
    back = recipient_view(make(originator_nation="JPN", classification="秘"), "IND")
    assert back.recipient_classification == "CONFIDENTIAL"
    assert back.originator_government == "Government of Japan"
    assert recipient_view(label, "IND").marking == "Government of India SECRET"


def test_recipient_view_flags_unsettled_rows_and_denies_unmapped() -> None:
    assert recipient_view(make(), "JPN").settled
    assert not recipient_view(make(classification="TOP SECRET"), "JPN").settled
    with pytest.raises(UnmappedLevelError):
        recipient_view(make(classification="RESTRICTED"), "JPN")
    with pytest.raises(UnmappedLevelError):
        recipient_view(make(), "USA")
    with pytest.raises(InvalidLabelError):
        recipient_view(make(), "usa")
