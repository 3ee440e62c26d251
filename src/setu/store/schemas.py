"""Arrow schemas of the store's tables: the decoded families (declared in
:mod:`setu.ais.schema`) and the rejects table (the AIS reject schema plus ``origin``)."""

from __future__ import annotations

import pyarrow as pa

from setu.ais.batch import REJECT_SCHEMA
from setu.errors import StoreError

STORE_REJECT_SCHEMA = REJECT_SCHEMA.append(pa.field("origin", pa.string(), nullable=False))


def table_schema(table: str) -> pa.Schema:
    """Schema of one store table."""
    if table == "rejects":
        return STORE_REJECT_SCHEMA
    from setu.ais.schema import FAMILY_SCHEMAS

    try:
        return FAMILY_SCHEMAS[table]
    except KeyError:
        raise StoreError(f"unknown table {table!r}") from None
