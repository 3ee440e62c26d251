"""The label column of the store's tables and the content-addressed label registry."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from setu.errors import IntegrityError, NotFoundError
from setu.security.labels import Label
from setu.security.source_labels import label_id
from setu.store import MaritimeStore
from setu.store.labels import LabelNotFoundError, LabelRegistry, LabelRegistryError
from setu.store.schemas import LABEL_COLUMN, table_schema

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def make_label(level: str = "SECRET", rel: frozenset[str] = frozenset({"IND"})) -> Label:
    return Label(
        originator_nation="IND",
        originator_node="mumbai",
        classification=level,
        releasable_to=rel,
        purposes=frozenset({"MDA"}),
        caveats=frozenset({"ORCON"}),
        created_at=T0,
    )


def test_every_table_schema_declares_label_id_once() -> None:
    for table in ("positions", "statics", "base_stations", "other", "rejects"):
        names = table_schema(table).names
        assert names.count(LABEL_COLUMN) == 1 and names[-1] == LABEL_COLUMN


def test_label_id_is_64_bits_of_sha256_of_the_canonical_bytes() -> None:
    import hashlib

    label = make_label()
    assert label_id(label) == hashlib.sha256(label.canonical_bytes()).hexdigest()[:16]
    assert label_id(make_label("CONFIDENTIAL")) != label_id(label)


def test_registry_round_trip_and_writing_twice_is_a_no_op(tmp_path: Path) -> None:
    registry = LabelRegistry(tmp_path / "labels")
    label = make_label()
    ident = registry.register(label)
    path = registry.path(ident)
    before = path.stat().st_mtime_ns
    assert registry.register(label) == ident
    assert path.stat().st_mtime_ns == before
    assert path.read_bytes() == label.canonical_bytes()
    fresh = LabelRegistry(tmp_path / "labels")  # no cache: read from disk
    assert fresh.get(ident) == label
    assert fresh.all() == {ident: label}


def test_an_edited_label_file_is_refused(tmp_path: Path) -> None:
    """Widening releasability by editing the registry file is detected (the id is the hash)."""
    registry = LabelRegistry(tmp_path / "labels")
    ident = registry.register(make_label())
    path = registry.path(ident)
    data = json.loads(path.read_bytes())
    data["releasable_to"] = ["IND", "JPN", "USA"]
    path.write_text(json.dumps(data))
    with pytest.raises(LabelRegistryError, match="restore it from backup") as info:
        LabelRegistry(tmp_path / "labels").get(ident)
    assert isinstance(info.value, IntegrityError)


def test_an_unknown_or_malformed_label_id_is_not_found(tmp_path: Path) -> None:
    registry = LabelRegistry(tmp_path / "labels")
    for bad in ("0" * 16, "../../etc/passwd", "ABCDEF0123456789"):
        with pytest.raises(LabelNotFoundError) as info:
            registry.get(bad)
        assert isinstance(info.value, NotFoundError)


_REGISTER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from setu.security.labels import Label
from setu.store.labels import LabelRegistry
registry = LabelRegistry(Path(sys.argv[1]))
label = Label(originator_nation="IND", originator_node="mumbai", classification=sys.argv[2],
              releasable_to=frozenset({"IND"}), purposes=frozenset({"MDA"}),
              caveats=frozenset({"ORCON"}), created_at=datetime(2026, 3, 1, tzinfo=UTC))
print(sorted({registry.register(label) for _ in range(50)}))
"""


def test_concurrent_registry_writes_leave_one_complete_file_per_label(tmp_path: Path) -> None:
    """Four processes register the same two labels at once: one file each, complete, no temp
    files left, and every process got the same id for the same label."""
    root = tmp_path / "labels"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _REGISTER, str(root), level], stdout=subprocess.PIPE, text=True
        )
        for level in ("SECRET", "CONFIDENTIAL") * 2
    ]
    outputs = [proc.communicate(timeout=120)[0].strip() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    secret, confidential = label_id(make_label("SECRET")), label_id(make_label("CONFIDENTIAL"))
    assert outputs == [f"['{secret}']", f"['{confidential}']"] * 2
    assert sorted(p.name for p in root.iterdir()) == sorted(
        f"{i}.json" for i in (secret, confidential)
    )
    fresh = LabelRegistry(root)
    assert {fresh.get(i).classification for i in (secret, confidential)} == {
        "SECRET",
        "CONFIDENTIAL",
    }


def test_labelled_writes_stamp_every_row_and_open_writes_leave_it_null(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    label = make_label()
    fresh_store.labelled(label).write({"positions": make_positions(0, 3)})
    fresh_store.write({"positions": make_positions(100, 2, mmsi=419000002)})
    rows = fresh_store.read_table("positions", ["mmsi", "label_id"]).to_pylist()
    ident = label_id(label)
    assert sorted((r["mmsi"], r["label_id"]) for r in rows) == sorted(
        [(419000001, ident)] * 3 + [(419000002, None)] * 2
    )
    assert fresh_store.label(ident) == label
    assert fresh_store.labels() == {ident: label}
    # dictionary-encoded in Parquet: one distinct value per file
    for path in fresh_store.files("positions"):
        column = (
            pq.ParquetFile(path)
            .metadata.row_group(0)
            .column(pq.ParquetFile(path).schema_arrow.get_field_index("label_id"))
        )
        assert "RLE_DICTIONARY" in column.encodings or "PLAIN_DICTIONARY" in column.encodings


def test_first_label_wins_for_a_row_ingested_twice(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    """The same message under a second label is a duplicate: the row keeps its first label."""
    fresh_store.write({"positions": make_positions(0, 2)})
    stats = fresh_store.labelled(make_label()).write({"positions": make_positions(0, 2)})
    assert stats.duplicates == {"positions": 2} and stats.total_added == 0
    assert fresh_store.read_table("positions", ["label_id"])["label_id"].null_count == 2


def test_files_written_before_labels_read_as_open_ais_in_sql(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    """Regression: a store written before label_id existed still has the column in its views."""
    day = fresh_store.table_dir("positions") / "day=2026-03-01"
    day.mkdir(parents=True)
    pq.write_table(make_positions(0, 2), day / "part-00000-old.parquet")
    result = fresh_store.sql("SELECT count(*) AS n, count(label_id) AS labelled FROM positions")
    assert result.to_pylist() == [{"n": 2, "labelled": 0}]
    assert fresh_store.positions()["label_id"].null_count == 2
    empty = fresh_store.sql("SELECT label_id FROM statics")
    assert empty.num_rows == 0
