"""The declarative base and the enumerations every operational record shares."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Constraint names that Alembic can reproduce on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every operational table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Classification(enum.StrEnum):
    """Security classification marking carried by every operational record.

    The English markings below are the ladder used by both sides in English-language documents.
    Approximate national equivalents, for reference only (the binding equivalence table is the
    one in the 2015 agreement on classified military information; a later release enforces it):

    ============  ====================================  ====================================
    marking       India (Manual of Departmental          Japan (Ministry of Defense)
                  Security Instructions)
    ============  ====================================  ====================================
    UNCLASSIFIED  Unclassified                          (no marking)
    RESTRICTED    Restricted                            Chūi (注意, "for official use")
    CONFIDENTIAL  Confidential                          Hi (秘, "secret")
    SECRET        Secret                                Gokuhi (極秘) / Tokutei Himitsu (特定秘密)
    TOP_SECRET    Top Secret                            Kimitsu (機密) / Tokubetsu Bōei Himitsu
    ============  ====================================  ====================================
    """

    UNCLASSIFIED = "UNCLASSIFIED"
    RESTRICTED = "RESTRICTED"
    CONFIDENTIAL = "CONFIDENTIAL"
    SECRET = "SECRET"
    TOP_SECRET = "TOP_SECRET"


class Party(enum.StrEnum):
    """The two parties of the framework (ISO 3166-1 alpha-2)."""

    INDIA = "IN"
    JAPAN = "JP"

    @property
    def other(self) -> Party:
        return Party.JAPAN if self is Party.INDIA else Party.INDIA

    @property
    def label(self) -> str:
        return "India" if self is Party.INDIA else "Japan"


def enum_column(enum_cls: type[enum.Enum], length: int = 32) -> Enum:
    """A portable enum column: VARCHAR holding the member *values* (no native DB enum)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class ClassifiedMixin:
    """Adds the ``classification`` marking column (default UNCLASSIFIED)."""

    classification: Mapped[Classification] = mapped_column(
        enum_column(Classification, 16), default=Classification.UNCLASSIFIED, nullable=False
    )


def parse_enum(enum_cls: type[Any], value: Any, what: str) -> Any:
    """Coerce ``value`` to ``enum_cls``, raising ValidationError listing the allowed values."""
    from setu.errors import ValidationError

    if isinstance(value, enum_cls):
        return value
    text = str(value).strip()
    for member in enum_cls:
        if text in (member.value, member.name) or text.lower() == str(member.value).lower():
            return member
        if text.lower().replace("-", "_") == member.name.lower():
            return member
    allowed = ", ".join(str(m.value) for m in enum_cls)
    raise ValidationError(f"{what} {value!r} is not one of: {allowed}")


__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "Classification",
    "ClassifiedMixin",
    "Party",
    "enum_column",
    "parse_enum",
]
