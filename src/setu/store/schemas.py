"""Arrow schemas of the store's tables: the decoded families (declared in
:mod:`setu.ais.schema`) and the rejects table (the AIS reject schema plus ``origin``), each with
the ``label_id`` column appended (declared here once, :data:`LABEL_FIELD`)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from setu.ais.batch import REJECT_SCHEMA
from setu.errors import StoreError

#: The confidentiality label of a row: 16 hex characters, the id of a label in the store's
#: registry (:mod:`setu.store.labels`); null means the node's default label for open AIS
#: (:func:`setu.security.source_labels.default_open_ais_label`). One value per ingest, so Parquet
#: dictionary-encodes it to a few bytes per row group.
LABEL_COLUMN = "label_id"
LABEL_FIELD = pa.field(LABEL_COLUMN, pa.string(), nullable=True)

STORE_REJECT_SCHEMA = REJECT_SCHEMA.append(pa.field("origin", pa.string(), nullable=False))


def table_schema(table: str) -> pa.Schema:
    """Schema of one store table, ``label_id`` last."""
    if table == "rejects":
        return STORE_REJECT_SCHEMA.append(LABEL_FIELD)
    from setu.ais.schema import FAMILY_SCHEMAS

    try:
        return FAMILY_SCHEMAS[table].append(LABEL_FIELD)
    except KeyError:
        raise StoreError(f"unknown table {table!r}") from None


def label_column(label_id: str | None, rows: int) -> pa.Array:
    """``rows`` copies of ``label_id`` (nulls for None), built without a Python list per row."""
    if label_id is None:
        return pa.nulls(rows, pa.string())
    return pa.array([label_id], pa.string()).take(pa.array(np.zeros(rows, np.int32)))


def with_label(table: pa.Table, label_id: str | None) -> pa.Table:
    """``table`` with its ``label_id`` column; a table that has one already keeps it."""
    if LABEL_COLUMN in table.column_names:
        return table
    return table.append_column(LABEL_FIELD, label_column(label_id, table.num_rows))
