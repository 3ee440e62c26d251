"""``setu ingest --label``: a navy's own feed labelled at ingest, and what is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from setu.cli import main
from setu.clock import fixed_clock
from setu.security.labels import Label
from setu.security.node import NodeIdentity, init_node
from setu.security.source_labels import label_id, parse_label_spec
from setu.store import MaritimeStore

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, tzinfo=UTC)
FEED = (
    "\\s:AEKLF001,c:1736899200*41\\!AIVDM,1,1,,B,16?co7h00u446@h>Nw499GF00H?=,0*5D\n"
    "\\s:AEKLF001,c:1736899201*40\\!AIVDM,1,1,,A,169fNUP02P43u90>Oq@9K7T20FiL,0*2C\n"
    "garbage line\n"
)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run ``setu --data-dir DIR ARGS…`` as the console entry point does (errors mapped to exit
    codes); returns the exit code and stdout + stderr."""

    def invoke(data_dir: Path, *args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = 0
        try:
            main(["--data-dir", str(data_dir), *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return invoke


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "radar.nmea"
    path.write_text(FEED)
    return path


@pytest.fixture
def node(data_dir: Path) -> NodeIdentity:
    return init_node(data_dir, nation="JPN", name="yokosuka", clock=fixed_clock(T0))


def test_a_labelled_feed_round_trips_through_ingest_store_and_read(
    run: Callable[..., tuple[int, str]], data_dir: Path, feed: Path, node: NodeIdentity
) -> None:
    """Every row of the feed, rejects too, carries the label; the registry gives it back with
    this node as originator and the classification of the node's own scheme."""
    code, out = run(
        data_dir, "ingest", str(feed), "--json", "--label", "極秘;rel=JPN,IND;caveat=ORCON"
    )
    assert code == 0, out
    store = MaritimeStore(data_dir / "ais")
    (ident,) = store.labels()
    label = store.label(ident)
    assert (label.originator_nation, label.originator_node) == ("JPN", "yokosuka")
    assert label.classification == "極秘"
    assert label.releasable_to == {"JPN", "IND"} and label.purposes == {"MDA"}
    assert label.caveats == {"ORCON"}
    positions = store.read_table("positions", ["label_id"])["label_id"].to_pylist()
    rejects = store.read_table("rejects", ["label_id"])["label_id"].to_pylist()
    assert positions == [ident, ident] and rejects == [ident]
    assert store.sql("SELECT DISTINCT label_id FROM positions").to_pylist() == [{"label_id": ident}]


def test_without_label_rows_are_open_ais_and_need_no_node(
    run: Callable[..., tuple[int, str]], data_dir: Path, feed: Path
) -> None:
    code, out = run(data_dir, "ingest", str(feed), "--json")
    assert code == 0, out
    store = MaritimeStore(data_dir / "ais")
    assert store.read_table("positions", ["label_id"])["label_id"].null_count == 2
    assert store.labels() == {}


def test_label_from_a_json_file(
    run: Callable[..., tuple[int, str]],
    data_dir: Path,
    feed: Path,
    node: NodeIdentity,
    tmp_path: Path,
) -> None:
    label = Label(
        originator_nation="JPN",
        originator_node="yokosuka",
        classification="秘",
        releasable_to=frozenset({"JPN"}),
        purposes=frozenset({"MDA", "HADR"}),
        caveats=frozenset(),
        created_at=T0,
    )
    spec = tmp_path / "label.json"
    spec.write_text(json.dumps(label.to_dict()))
    code, out = run(data_dir, "ingest", str(feed), "--json", "--label", str(spec))
    assert code == 0, out
    assert MaritimeStore(data_dir / "ais").labels() == {label_id(label): label}


def test_label_without_a_node_identity_is_refused(
    run: Callable[..., tuple[int, str]], data_dir: Path, feed: Path
) -> None:
    code, out = run(data_dir, "ingest", str(feed), "--label", "SECRET;rel=IND")
    assert code == 2
    assert "--label needs this node's identity" in out and "setu node init" in out
    assert MaritimeStore(data_dir / "ais").counts()["positions"] == 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("RESTRICTED;rel=JPN", "no row in the IND-JPN-2015 equivalence table"),
        ("SECRET;rel=JPN", "no row"),  # an IND level is not a level of JPN's scheme
        ("極秘;rel=JP", "trigraph"),
        ("極秘;releasable=JPN", "is not rel="),
        ("rel=JPN", "must start with a classification"),
        ("極秘;purpose=SPYING", "unknown purposes"),
        ("broken.json", "cannot be read as JSON"),
    ],
)
def test_bad_label_specs_exit_5_and_store_nothing(
    run: Callable[..., tuple[int, str]],
    data_dir: Path,
    feed: Path,
    node: NodeIdentity,
    spec: str,
    message: str,
) -> None:
    code, out = run(data_dir, "ingest", str(feed), "--label", spec)
    assert code == 5, out
    assert message in " ".join(out.split())
    assert MaritimeStore(data_dir / "ais").counts()["positions"] == 0


def test_a_json_label_of_another_originator_is_refused(node: NodeIdentity, tmp_path: Path) -> None:
    """A node labels only its own feeds: a partner's originator in --label is refused."""
    from setu.security.errors import InvalidLabelError

    other = Label(
        originator_nation="IND",
        originator_node="mumbai",
        classification="SECRET",
        releasable_to=frozenset({"IND"}),
        purposes=frozenset({"MDA"}),
        caveats=frozenset(),
        created_at=T0,
    )
    spec = tmp_path / "other.json"
    spec.write_text(json.dumps(other.to_dict()))
    with pytest.raises(InvalidLabelError, match="labels only its own feeds"):
        parse_label_spec(str(spec), node, clock=fixed_clock(T0))
