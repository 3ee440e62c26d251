"""Every command that renders data, run as a user runs it over a store and a database full of
hostile text: Rich markup, emoji codes, terminal escape sequences, C1 controls, bidirectional
overrides, NUL and 10 kB strings, all put there through the ordinary paths (ingest of NMEA and
CSV, coop and ACSA commands, a hostile login name, hostile file names).

Regression: a ship name ``[/A]`` made ``setu vessels`` raise MarkupError for every user, a
rejected line ``foo [/x] bar`` broke ``setu rejects``, a coop title ``[/bold] x`` broke
``coop agreements list``; ``[red]…`` vanished, ``:x:`` became an emoji, and control characters
went to the terminal raw. Now each run must exit 0; tables show the text literally with control
and bidi characters as visible escapes and long values elided; CSV and JSON carry it exactly.

The plan below names every command; ``test_every_command_is_exercised_in_each_format`` (fast)
fails when a command is added to the app without a step here.

The steps run in this process, through the console script's own entry point
(``setu.cli.main``) with stdin, stdout, stderr and the environment of a fresh process (about 170
separate processes took minutes of imports); the steps in :data:`REAL_PROCESS` run a second time
as the installed ``setu`` console script, and must print what they printed in-process.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from setu.cli._common import visible
from setu.cli._render import MAX_CELL_CHARS

F_MARKUP = "[/A] [red]x[/red] [link=file:///etc/passwd]pw[/link] :x: [bold]"
F_ESC = "esc\x1b[2J"
F_BIDI = "rlo\u202eevil"
#: Markup, escape sequences (clear screen, set window title), BEL, a C1 CSI, bidi overrides.
HOSTILE = f"{F_MARKUP} {F_ESC}\x1b]0;pwned\x07 c1\x9b31m {F_BIDI}\u202c \u2066iso\u2069\u200f"
#: For columns of at most 120 characters.
SHORT = f"{F_MARKUP} {F_ESC} {F_BIDI}"
LONG = f"{HOSTILE} " + "L" * 10_000
FRAGMENTS = (F_MARKUP, F_ESC, F_BIDI)
#: AIS 6-bit text holds upper case, digits and punctuation: markup and emoji codes fit.
AIS_NAME_1 = "[/A] [RED]X :X:"
AIS_NAME_2 = "[/BOLD] :WARNING:"
STATION = "rx[/x]"
FILE_TAG = "[red]x :x: \x1b[2J \u202e"
#: What must never reach a terminal from a table.
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
MODES = ("table", "json", "csv", "machine")
#: Steps (argv, mode) also run as a real ``setu`` process: the terminal path of a table, CSV
#: and JSON, each over data that once broke them.
REAL_PROCESS = {
    (("vessels",), "table"),
    (("vessels",), "csv"),
    (("rejects",), "table"),
    (("rejects",), "json"),
    (("coop", "agreements", "list"), "table"),
}
COLUMNS = "2000"

pytestmark = pytest.mark.xdist_group("hostile_text")  # the plan is run once, on one worker


@dataclass(frozen=True)
class Step:
    """One run of ``setu``: argv (``@name`` is replaced by a value kept from an earlier step),
    the output mode, the fragments it must show, values to keep from its JSON output."""

    argv: tuple[str, ...]
    mode: str = "table"
    expect: tuple[str, ...] = ()
    keep: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    stdin: str | None = None
    output_file: Path | None = None  # machine output written to this file
    hold: tuple[str, ...] = ()  # object ids the node receives (no command does) before the step

    def full_argv(self, kept: dict[str, Any]) -> list[str]:
        argv = [str(kept.get(a[1:], a)) if a.startswith("@") else a for a in self.argv]
        if self.mode == "json":
            argv.append("--json")
        elif self.mode == "csv":
            argv += ["--format", "csv"]
        return argv


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def nmea(self) -> Path:
        return self.root / f"feed {FILE_TAG}.nmea"

    @property
    def csv(self) -> Path:
        return self.root / f"vessels {FILE_TAG}.csv"

    @property
    def document(self) -> Path:
        return self.root / f"requisition {FILE_TAG}.txt"

    @property
    def sim(self) -> Path:
        return self.root / f"sim {FILE_TAG}" / "feed.nmea"

    @property
    def sim_truth(self) -> Path:
        return self.root / f"sim {FILE_TAG}" / "feed.truth.jsonl"

    @property
    def partner_dir(self) -> Path:
        return self.root / "partner-node"

    @property
    def bundle(self) -> Path:
        return self.root / f"bundle {FILE_TAG}.json"

    @property
    def geojson(self) -> Path:
        return self.root / f"events {FILE_TAG}.geojson"

    @property
    def own_bundle(self) -> Path:
        return self.root / "node-a.json"

    @property
    def proof(self) -> Path:
        return self.root / f"proof {FILE_TAG}.json"

    def items(self, name: str) -> Path:
        return self.root / f"items-{name} {FILE_TAG}.jsonl"

    @property
    def consent(self) -> Path:
        return self.root / f"consent {FILE_TAG}.json"

    @property
    def notice(self) -> Path:
        return self.root / f"notice {FILE_TAG}.json"


def reads(
    argv: tuple[str, ...], *modes: str, expect: tuple[str, ...] = (), **env: str
) -> list[Step]:
    """``argv`` in each of ``modes``, with ``env`` set for the run."""
    return [Step(argv, mode, expect, env=env) for mode in modes]


def _rows(data: Any) -> list[Any]:
    return data if isinstance(data, list) else [data]


def maritime_plan(p: Paths) -> list[Step]:
    vessel_text = (AIS_NAME_2, *FRAGMENTS)
    rejected = ("foo [/x] bar", F_ESC, F_BIDI)
    sql = 'SELECT ship_name AS "[/col] :x:", call_sign FROM statics ORDER BY mmsi, received_at'
    sim = ("simulate", "--scenario", "demo", "--out", str(p.sim))
    evaluate = ("evaluate", "--nmea", str(p.sim), "--truth", str(p.sim_truth))
    geojson = ("events", "--geojson", str(p.geojson))
    return [
        Step(("ingest", str(p.nmea)), expect=(f"feed {FILE_TAG}",)),
        Step(("ingest", str(p.csv)), "json", expect=(f"vessels {FILE_TAG}",)),
        Step(("decode", str(p.nmea), "--rejects"), "machine", expect=(AIS_NAME_1, *rejected)),
        *reads(("vessels",), "table", "csv", "json", expect=vessel_text),
        Step(("vessels", "--mmsi", "419000100"), expect=(AIS_NAME_1, AIS_NAME_2)),
        *reads(("positions",), "table", "csv", "json", expect=(STATION,)),
        *reads(("rejects",), "table", "csv", "json", expect=rejected),
        Step(("rejects", "--summary"), expect=(f"feed {FILE_TAG}",)),
        *reads(("sql", sql), "table", "csv", "json", expect=(*FRAGMENTS, AIS_NAME_1, "[/col]")),
        Step(("events", "detect")),
        Step(("events", "detect"), "json"),
        *reads(("events",), "table", "json", expect=(AIS_NAME_2,)),
        Step(geojson, "machine", (AIS_NAME_2,), output_file=p.geojson),
        *reads(("tracks",), "table", "json"),
        *reads(("store", "check"), "table", "json"),
        *reads(("store", "repair"), "table", "json"),
        *reads(sim, "table", "json", expect=(FILE_TAG,)),
        *reads(evaluate, "table", "json"),
    ]


def coop_plan() -> list[Step]:
    ag, cal, act = ("coop", "agreements"), ("coop", "calendar"), ("coop", "actions")
    meeting = (
        "coop", "meetings", "create", "--mechanism", "2.4", "--place", SHORT, "--host", "IN",
        "--agenda", HOSTILE, "--delegation", f"IN|{SHORT}|Secretary",
        "--outcome", f"action|{HOSTILE}", "--summary", LONG, "--start",
    )  # fmt: skip
    exercise = (
        "coop", "exercises", "create", "--series", "jimex", "--area-name", SHORT,
        "--unit", f"IN|navy|{SHORT}", "--end", "2026-05-09", "--start",
    )  # fmt: skip
    agreement = ("--title", LONG, "--place", SHORT, "--source", HOSTILE, "--renewal", HOSTILE)
    ids = {f"eng_{k}": (lambda d, i=i: d[i]["id"]) for i, k in enumerate("abcd")}
    days = {"a": "2026-01-15", "b": "2026-01-20"}
    due = {k: ("--owner", SHORT, "--due", day) for k, day in days.items()}
    place = ("--place", SHORT)
    summary = f"1 {F_MARKUP}\n2 {F_ESC}"
    return [
        Step(("coop", "seed")),
        Step(("coop", "seed"), "json"),
        Step((*ag, "create", "--key", "hostile-1", *agreement), expect=FRAGMENTS),
        Step((*ag, "create", "--key", "hostile-2", *agreement), "json", FRAGMENTS),
        Step((*ag, "update", "hostile-1", "--summary", summary), expect=FRAGMENTS[:2]),
        Step((*ag, "update", "hostile-2", "--place", SHORT), "json", FRAGMENTS),
        Step((*ag, "relate", "hostile-1", "implements", "jd-2025", "--note", HOSTILE)),
        Step((*ag, "relate", "hostile-2", "builds_on", "jd-2025", "--note", HOSTILE), "json"),
        *reads((*ag, "list"), "table", "json", expect=(F_MARKUP,)),
        *reads((*ag, "show", "hostile-1"), "table", "json", expect=FRAGMENTS),
        Step((*ag, "export"), "machine", FRAGMENTS),
        *reads(("coop", "mechanisms", "list"), "table", "json"),
        *reads(("coop", "mechanisms", "show", "2.4"), "table", "json"),
        Step(("coop", "mechanisms", "update", "2.4", "--duration-days", "3")),
        Step(("coop", "mechanisms", "update", "2.4", "--duration-days", "2"), "json"),
        Step((*cal, "generate", "--year", "2026")),
        Step((*cal, "generate", "--year", "2027"), "json"),
        Step((*cal, "list", "--year", "2026"), "json", keep=ids),
        Step((*cal, "schedule", "@eng_a", "--start", "2026-03-02", *place), expect=FRAGMENTS),
        Step((*cal, "schedule", "@eng_b", "--start", "2026-04-01", *place), "json", FRAGMENTS),
        *reads((*cal, "show", "@eng_a"), "table", "json", expect=FRAGMENTS),
        Step((*cal, "move", "@eng_a", "--start", "2026-03-09")),
        Step((*cal, "move", "@eng_b", "--start", "2026-04-06"), "json"),
        Step((*cal, "hold", "@eng_a", "--reason", HOSTILE)),
        Step((*cal, "hold", "@eng_b", "--reason", HOSTILE), "json"),
        Step((*cal, "resume", "@eng_a")),
        Step((*cal, "resume", "@eng_b"), "json"),
        Step((*cal, "cancel", "@eng_c", "--reason", HOSTILE)),
        Step((*cal, "cancel", "@eng_d", "--reason", HOSTILE), "json"),
        *reads((*cal, "list", "--year", "2026"), "table", "json", expect=FRAGMENTS),
        Step((*cal, "export", "--year", "2026"), "machine", (F_MARKUP,)),
        Step((*meeting, "2026-02-02"), expect=FRAGMENTS),
        Step((*meeting, "2026-02-09"), "json", FRAGMENTS, keep={"meeting": lambda d: d["id"]}),
        *reads(("coop", "meetings", "list"), "table", "json", expect=FRAGMENTS),
        *reads(("coop", "meetings", "show", "@meeting"), "table", "json", expect=FRAGMENTS),
        Step((*act, "add", "@meeting", "--text", LONG, *due["a"]), expect=FRAGMENTS),
        Step(
            (*act, "add", "@meeting", "--text", HOSTILE, *due["b"]),
            "json", FRAGMENTS, keep={"action": lambda d: d["id"]},
        ),
        *reads((*act, "list"), "table", "json", expect=FRAGMENTS),
        Step((*act, "update", "@action", "--status", "in_progress"), expect=FRAGMENTS),
        Step((*act, "update", "@action", "--owner", SHORT), "json", FRAGMENTS),
        *reads(("coop", "alerts"), "table", "json", expect=FRAGMENTS),
        *reads(("coop", "compliance", "--year", "2026"), "table", "json"),
        *reads(("coop", "exercises", "series"), "table", "json"),
        Step((*exercise, "2026-05-04", "--name", SHORT), expect=FRAGMENTS),
        Step(
            (*exercise, "2026-05-05", "--name", "JIMEX 26 B"),
            "json", FRAGMENTS, keep={"edition": lambda d: d["id"]},
        ),
        *reads(("coop", "exercises", "list"), "table", "json", expect=FRAGMENTS),
        *reads(("coop", "exercises", "show", "@edition"), "table", "json", expect=FRAGMENTS),
        Step(("coop", "exercises", "export"), "machine"),
    ]  # fmt: skip


def acsa_plan(p: Paths) -> list[Step]:
    order = (
        "acsa", "create", "--requesting", "IN", "--supplying", "JP",
        "--activity", "bilateral_training", "--line", f"food|{SHORT}|10|kg|100.50|INR",
        "--detail", LONG, "--requisition", SHORT, "--place", SHORT,
    )  # fmt: skip
    numbers = {"order_a": lambda d: d[0]["number"], "order_b": lambda d: d[1]["number"]}
    steps = [
        Step(order, expect=FRAGMENTS),
        Step(order, "json", FRAGMENTS),
        Step(("acsa", "list"), "json", keep=numbers),
        Step(("acsa", "update", "@order_a", "--detail", HOSTILE), expect=(F_MARKUP,)),
        Step(("acsa", "update", "@order_b", "--place", SHORT), "json", FRAGMENTS),
    ]
    signer = ("--name", SHORT, "--title", HOSTILE)
    settle = ("--amount", "1005", "--currency", "INR", "--memo", HOSTILE)
    verbs = ("issue", "receive", "invoice", "dispute", "resolve")
    for number, mode in (("@order_a", "table"), ("@order_b", "json")):
        steps += [
            Step(("acsa", "attach", number, str(p.document)), mode, (FILE_TAG,)),
            Step(("acsa", "sign", number, "--party", "IN", *signer), mode, (F_MARKUP,)),
            Step(("acsa", "sign", number, "--party", "JP", *signer), mode, (F_MARKUP,)),
            *(Step(("acsa", verb, number, "--note", HOSTILE), mode) for verb in verbs),
            Step(("acsa", "settle", number, *settle), mode),
            Step(("acsa", "close", number, "--note", HOSTILE), mode, (F_MARKUP,)),
        ]
    for read in ("list", "sweep", "balances", "ageing", "verify"):
        steps += reads(("acsa", read), "table", "json")
    steps += reads(("acsa", "show", "@order_a"), "table", "json", expect=(*FRAGMENTS, FILE_TAG))
    steps.append(Step(("acsa", "export"), "machine", (*FRAGMENTS, FILE_TAG)))
    return steps


def security_plan(p: Paths) -> list[Step]:
    partner = {"SETU_DATA_DIR": str(p.partner_dir)}
    token = {"token": lambda d: d["token_id"]}
    add_partner = ("partner", "add", str(p.bundle), "--nation", "JPN", "--name", "node-j")
    user = ("--nation", "IND", "--clearance", "SECRET", "--no-password")
    node = ("--nation", "JPN", "--clearance", "極秘")
    return [
        Step(("node", "init", "--nation", "IND", "--name", "node-a")),
        Step(("node", "init", "--nation", "IND", "--name", "node-a", "--force"), "json"),
        *reads(("node", "show"), "table", "json"),
        *reads(("node", "equivalence"), "table", "json"),
        Step(("node", "init", "--nation", "JPN", "--name", "node-j"), env=partner),
        Step(("node", "export-public", str(p.bundle)), env=partner, expect=(FILE_TAG,)),
        Step(("node", "export-public", "-"), "machine"),
        Step(add_partner),
        *reads(("partner", "list"), "table", "json"),
        Step(("partner", "remove", "node-j")),
        Step(add_partner, "json"),
        Step(("users", "add", "analyst-1", *user)),
        Step(("users", "add", "analyst-2", *user), "json"),
        Step(("users", "add-node", "node-k", *node)),
        Step(("users", "add-node", "node-l", *node), "json"),
        *reads(("users", "list"), "table", "json"),
        Step(("users", "passwd", "analyst-1", "--password-stdin"), stdin="correct horse battery\n"),
        Step(("users", "token", "create", "analyst-1")),
        Step(("users", "token", "create", "analyst-1"), "json", keep=token),
        Step(("users", "token", "revoke", "@token")),
        Step(("users", "disable", "analyst-2")),
    ]


def audit_plan(p: Paths) -> list[Step]:
    """The disclosure log holds the entries :func:`_audit_entries` appended; this node signs."""
    check = ("audit", "check-proof", str(p.proof), "--key", str(p.own_bundle))
    return [
        Step(("node", "export-public", str(p.own_bundle))),
        Step(("audit", "head", "--sign")),
        Step(("audit", "head"), "json"),
        *reads(("audit", "list"), "table", "json", expect=FRAGMENTS),
        *reads(("audit", "verify"), "table", "json"),
        Step(("audit", "prove", "0", "--out", str(p.proof)), expect=(FILE_TAG,)),
        Step(("audit", "prove", "1"), "machine"),  # the entry travels base64-encoded
        Step(("audit", "consistency", "2"), "machine"),
        *reads(check, "table", "json", expect=FRAGMENTS),
    ]


#: Objects a node asks to release, and objects the partner node holds (ids are free text).
RELEASED = {"a": f"u-a {SHORT}", "b": f"u-b {SHORT}"}
QUEUED = {"a": f"c-a {SHORT}", "b": f"c-b {SHORT}"}
HELD = (RELEASED["a"], QUEUED["a"])  # released to the partner (by the rule, by the officer)


def release_plan(p: Paths) -> list[Step]:
    """Release from this node (IND) to the partner (JPN), which then holds :data:`HELD` and
    receives a consent and a re-classification notice for them; an officer acts on both."""
    ind = {"SETU_ACTOR": "officer"}
    jpn = {**ind, "SETU_DATA_DIR": str(p.partner_dir)}
    officer = ("users", "add", "officer", "--groups", "mda", "--roles", "releasing_officer")
    rule = ("release", "rules", "add", "--kind", "position", "--to", "JPN", "--purposes", "MDA")
    request = ("release", "request", "--to", "node-k", "--purpose", "MDA")
    queued = {"req_a": lambda d: d[0]["request_id"], "req_b": lambda d: d[1]["request_id"]}
    notice = {"notice": lambda d: d[0]["notice_id"]}
    held = ",".join(HELD)
    details = LONG[:4000]  # the longest account of a compromise taken
    both = ("table", "json")
    return [
        Step((*officer, "--nation", "IND", "--clearance", "SECRET", "--no-password")),
        Step((*officer, "--nation", "JPN", "--clearance", "極秘", "--no-password"), env=jpn),
        Step(("partner", "add", str(p.own_bundle), "--nation", "IND", "--name", "node-a"), env=jpn),
        Step((*rule, "--max-level", "UNCLASSIFIED"), env=ind),
        Step((*rule, "--max-level", "CONFIDENTIAL"), "json", env=ind),
        *reads(("release", "rules", "list"), *both, **ind),
        Step(("release", "rules", "stop", "2"), env=ind),
        Step((*request, str(p.items("a"))), expect=FRAGMENTS, env=ind),
        Step((*request, str(p.items("b"))), "json", FRAGMENTS, env=ind),
        Step(("release", "queue"), expect=FRAGMENTS, env=ind),
        Step(("release", "queue"), "json", FRAGMENTS, keep=queued, env=ind),
        Step(("release", "approve", "@req_a"), env=ind),
        Step(("release", "refuse", "@req_b", "--reason", HOSTILE), env=ind),
        *reads(("release", "history"), *both, expect=FRAGMENTS, **ind),
        Step(
            ("consent", "grant", "--to", "USA", "--objects", held, "--expires-days", "7",
             "--out", str(p.consent)),
            expect=(FILE_TAG,), env=ind,
        ),
        Step(("consent", "import", str(p.consent)), env=jpn),
        *reads(("consent", "list"), *both, **jpn),
        Step(
            ("reclassify", "issue", "--objects", held, "--level", "UNCLASSIFIED",
             "--out", str(p.notice)),
            expect=(FILE_TAG,), env=ind,
        ),
        Step(("reclassify", "apply", str(p.notice)), expect=FRAGMENTS, env=jpn, hold=HELD),
        Step(("reclassify", "apply", str(p.notice)), "json", env=jpn),
        *reads(("reclassify", "list"), *both, **jpn),
        Step(("compromise", "report", "--objects", HELD[0], "--details", HOSTILE), env=jpn),
        Step(("compromise", "report", "--objects", HELD[1], "--details", details), "json", env=jpn),
        Step(("compromise", "list"), expect=FRAGMENTS, env=jpn),
        Step(("compromise", "list"), "json", FRAGMENTS, keep=notice, env=jpn),
        Step(("compromise", "sent", "@notice"), env=jpn),
        Step(("retention", "set", "MDA", "30"), env=jpn),
        *reads(("retention", "show"), *both, **jpn),
        *reads(("retention", "run"), *both, **jpn),
        *reads(("retention", "holdings"), *both, expect=FRAGMENTS, **jpn),
    ]  # fmt: skip


def plan(p: Paths) -> list[Step]:
    """Every step, in order; the demo last (its sample feed would crowd the tables)."""
    steps = [*maritime_plan(p), *coop_plan(), *acsa_plan(p), *security_plan(p), *audit_plan(p)]
    steps += release_plan(p)
    return [*steps, Step(("demo",))]


# -- the hostile inputs ------------------------------------------------------------------------
def _nmea_feed() -> bytes:
    """One vessel underway for an hour whose name changes from one markup string to another,
    received by a station named with markup, then rejected lines of every hostile kind."""
    from setu.ais.encode import encode_nmea

    n = 61
    positions = encode_nmea(
        1,
        {
            "mmsi": np.full(n, 419_000_100), "lon": 72.5 + 0.003 * np.arange(n),
            "lat": np.full(n, 18.9), "sog_knots": np.full(n, 10.0), "cog_deg": np.full(n, 90.0),
            "heading_deg": np.full(n, 90.0), "nav_status": np.zeros(n),
        },
        n, station=STATION, unix_s=T0 + 60 * np.arange(n),
    )  # fmt: skip
    names = np.array([AIS_NAME_1, AIS_NAME_1, AIS_NAME_2, AIS_NAME_2], dtype=object)
    statics = encode_nmea(
        5,
        {
            "mmsi": np.full(4, 419_000_100), "ship_name": names,
            "call_sign": np.array(["[/B]"] * 4, dtype=object),
            "destination": np.array(["[LINK=FILE:///ETC]"] * 4, dtype=object),
        },
        4, station=STATION, unix_s=T0 + np.array([30, 330, 1830, 2130]), seq_id=np.arange(4),
    )  # fmt: skip
    rejected = [
        b"foo [/x] bar",
        HOSTILE.encode(),
        b"nul\x00byte " + F_MARKUP.encode(),
        b"L" * 10_000 + F_MARKUP.encode(),
    ]
    return positions.tobytes() + statics.tobytes() + b"\n".join(rejected) + b"\n"


def _csv_feed() -> str:
    """NOAA MarineCadastre rows whose free-text vessel names are hostile (one of 3,000 chars)."""
    header = (
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
        "Length,Width,Draft,Cargo,TransceiverClass"
    )
    names = [HOSTILE, F_MARKUP + " " + "N" * 3000]
    rows = [
        f'{419_000_200 + i},2026-01-01T00:0{i}:00,18.9,72.4,5,90,90,"{name}",,[/C],70,0,100,20,5,,A'
        for i, name in enumerate(names)
    ]
    return "\n".join([header, *rows]) + "\n"


def _audit_entries(data_dir: Path) -> None:
    """Disclosure-log entries with hostile text in every free field, appended as the gate
    appends them (the log has no command that writes)."""
    from setu.db import open_database
    from setu.security.audit import AuditEntry, AuditLog
    from setu.settings import load_settings

    db = open_database(load_settings(data_dir=data_dir))
    try:
        hostile = {"principal": SHORT, "recipient": SHORT, "purpose": SHORT, "rule": HOSTILE}
        entries = [
            AuditEntry(
                kind="disclosure",
                action=f"release {F_MARKUP}",
                object_ids=(HOSTILE, f"obj-{i}"),
                reason=LONG[:2000],
                details={"note": HOSTILE},
                **hostile,
            )
            for i in range(2)
        ]
        AuditLog(db, None).append_many(entries)
    finally:
        db.dispose()


def _label(level: str) -> Any:
    """A label of this node (IND ``node-a``), releasable to JPN for MDA."""
    from setu.security.labels import Label

    return Label(
        originator_nation="IND",
        originator_node="node-a",
        classification=level,
        releasable_to=frozenset({"IND", "JPN"}),
        purposes=frozenset({"MDA"}),
        caveats=frozenset(),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _release_items(name: str) -> str:
    """JSON lines for ``setu release request``: one object a standing rule releases, one that
    waits for the officer."""
    items = ((RELEASED[name], "UNCLASSIFIED"), (QUEUED[name], "CONFIDENTIAL"))
    return "".join(
        json.dumps(
            {
                "object_kind": "position",
                "object_id": object_id,
                "label": _label(level).to_dict(),
                "content_sha256": hashlib.sha256(object_id.encode()).hexdigest(),
            }
        )
        + "\n"
        for object_id, level in items
    )


def _hold(object_ids: tuple[str, ...]) -> None:
    """The node of ``SETU_DATA_DIR`` receives ``object_ids`` from ``node-a`` (as the exchange
    records them; no command receives)."""
    from setu.db import open_database
    from setu.security.audit import AuditLog
    from setu.security.node import load_node
    from setu.security.release import Office
    from setu.security.release_rules import ObjectKind, ReleaseItem
    from setu.security.retention import Holdings
    from setu.settings import load_settings

    settings = load_settings()
    db = open_database(settings)
    try:
        node = load_node(settings)
        office = Office(db, AuditLog(db, node.signing_key), node.nation, node.name)
        for object_id in object_ids:
            item = ReleaseItem(ObjectKind.POSITION, object_id, _label("CONFIDENTIAL"), "0" * 64)
            Holdings(office).receive(item, purpose="MDA", source_node="node-a")
    finally:
        db.dispose()


def _shore_cache(request: pytest.FixtureRequest, tmp: Path) -> Path:
    """The distance-to-shore grid file (built once; kept in pytest's cache when it is on)."""
    from setu.events.shore import load_shore

    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("setu-shore-grid") if cache is not None else tmp / "shore"
    load_shore(folder)
    return next(folder.glob("*.npy"))


@dataclass(frozen=True)
class Run:
    step: Step
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    output: str  # the machine output (stdout, or the file the step wrote)
    real_process: bool = False

    def __str__(self) -> str:
        where = " (real process)" if self.real_process else ""
        return f"setu {' '.join(map(repr, self.argv))} [{self.step.mode}]{where}"


def _decoded(data: bytes) -> str:
    """Output bytes as text, as Python's stdio decodes them under a UTF-8 locale."""
    return data.decode("utf-8", errors="surrogateescape")


def _stream(buffer: io.BytesIO) -> io.TextIOWrapper:
    """A standard stream of a fresh process under a UTF-8 locale, on ``buffer``."""
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="surrogateescape")


def _exit_code(exc: SystemExit) -> int:
    """The status Python exits with for ``exc`` (a str is printed and gives 1)."""
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    sys.stderr.write(f"{exc.code}\n")
    return 1


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """``os.environ`` replaced by ``env`` for the block, then restored exactly (the entry point
    may set variables of its own, e.g. ``NUMBA_CACHE_DIR``)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _in_process(argv: list[str], env: dict[str, str], stdin: str) -> tuple[int, str, str]:
    """``setu argv`` through the console script's entry point, in this process: stdin, stdout,
    stderr and the environment as a fresh process would have them."""
    from setu.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    stdin_bytes = io.BytesIO(stdin.encode("utf-8", "surrogateescape"))
    with _environment(env), pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdin", _stream(stdin_bytes))
        patch.setattr(sys, "stdout", _stream(out))
        patch.setattr(sys, "stderr", _stream(err))
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        except Exception:  # uncaught: Python prints the traceback and exits 1
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        return code, _decoded(out.getvalue()), _decoded(err.getvalue())


def _real_process(argv: list[str], env: dict[str, str], stdin: str) -> tuple[int, str, str]:
    """``setu argv`` as a user runs it: the installed console script in a new process."""
    script = Path(sys.executable).with_name("setu")
    assert script.is_file(), f"no setu console script beside {sys.executable}: pip install -e ."
    done = subprocess.run(
        [str(script), *argv],
        input=stdin.encode("utf-8", "surrogateescape"),
        capture_output=True,
        env=env,
        timeout=600,
        check=False,
    )
    return done.returncode, _decoded(done.stdout), _decoded(done.stderr)


def _consoles_as_in_a_pipe() -> bool:
    """Whether setu's consoles, built when this process imported setu, are as a fresh process
    with piped output builds them: no colours, and the width read from ``COLUMNS`` when they
    print. Not so under ``pytest -s`` on a terminal; every step then runs as a real process."""
    from setu.cli import _common

    with _environment({**os.environ, "COLUMNS": COLUMNS}):
        return all(
            c.color_system is None and c.width == int(COLUMNS)
            for c in (_common.console, _common.err_console)
        )


def _run(step: Step, env: dict[str, str], kept: dict[str, Any], *, real_process: bool) -> Run:
    argv = step.full_argv(kept)
    if step.hold:
        with _environment({**env, **step.env}):
            _hold(step.hold)
    run_setu = _real_process if real_process else _in_process
    code, stdout, stderr = run_setu(argv, {**env, **step.env}, step.stdin or "")
    output = stdout
    if step.output_file is not None and step.output_file.is_file():
        output = step.output_file.read_text(encoding="utf-8")
    run = Run(step, argv, code, stdout, stderr, output, real_process)
    if step.keep and code == 0:  # a failure here shows as the later steps failing
        try:
            data = json.loads(stdout)
            kept.update({name: get(data) for name, get in step.keep.items()})
        except (ValueError, LookupError, TypeError):
            pass
    return run


def _run_plan(steps: list[Step], env: dict[str, str]) -> list[Run]:
    """Every step in order; a step of :data:`REAL_PROCESS` also as a real process, right after
    its in-process run (so both see the same store)."""
    all_real = not _consoles_as_in_a_pipe()
    kept: dict[str, Any] = {}
    runs = []
    for step in steps:
        runs.append(_run(step, env, kept, real_process=all_real))
        if not all_real and (step.argv, step.mode) in REAL_PROCESS:
            runs.append(_run(step, env, kept, real_process=True))
    return runs


@pytest.fixture(scope="module")
def hostile_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> list[Run]:
    tmp = tmp_path_factory.mktemp("hostile")
    paths = Paths(tmp)
    data_dir = tmp / "data"
    (data_dir / "cache").mkdir(parents=True)
    shutil.copy(_shore_cache(request, tmp), data_dir / "cache")
    paths.nmea.write_bytes(_nmea_feed())
    paths.csv.write_text(_csv_feed(), encoding="utf-8")
    paths.document.write_text("requisition\n", encoding="utf-8")
    paths.sim.parent.mkdir()
    for name in RELEASED:
        paths.items(name).write_text(_release_items(name), encoding="utf-8")
    _audit_entries(data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SETU_")}
    env |= {"SETU_DATA_DIR": str(data_dir), "SETU_ACTOR": SHORT, "COLUMNS": COLUMNS}
    return _run_plan(plan(paths), env)


# -- what each output must show ----------------------------------------------------------------
def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _json_values(text: str) -> list[str]:
    try:
        return list(_strings(json.loads(text)))
    except json.JSONDecodeError:
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        return list(_strings(lines))


def _problems(run: Run) -> list[str]:
    mode, expect = run.step.mode, run.step.expect
    if run.code != 0:
        return [f"{run}: exit {run.code}: {run.stderr[-2000:]}"]
    problems = []
    if mode == "table":
        screen = run.stdout + run.stderr
        if RAW.search(screen):
            problems.append(f"{run}: raw control character {RAW.search(screen)!r} on the terminal")
        if "L" * (MAX_CELL_CHARS + 1) in run.stdout:
            problems.append(f"{run}: a 10 kB value was not elided")
        if "❌" in screen or "⚠" in screen:
            problems.append(f"{run}: an emoji code became an emoji")
        missing = [f for f in expect if visible(f) not in run.stdout]
    elif mode == "csv":
        cells = [cell for row in csv.reader(io.StringIO(run.stdout)) for cell in row]
        missing = [f for f in expect if not any(f in cell for cell in cells)]
    elif mode == "json" or run.output.lstrip()[:1] in ("{", "["):
        if RAW.search(run.stdout):
            problems.append(f"{run}: JSON output carries a raw control character")
        values = _json_values(run.output)
        missing = [f for f in expect if not any(f in value for value in values)]
    else:  # other machine output (iCalendar): exact, with folded lines joined
        text = run.output.replace("\r\n ", "").replace("\n ", "")
        missing = [f for f in expect if f not in text]
    problems += [f"{run}: does not show {f!r}" for f in missing]
    return problems


def _runs_of(runs: list[Run], *modes: str) -> list[Run]:
    return [run for run in runs if run.step.mode in modes]


@pytest.mark.e2e
@pytest.mark.slow
def test_every_command_exits_0_over_hostile_text(hostile_runs: list[Run]) -> None:
    failed = [f"{run}: exit {run.code}: {run.stderr[-1500:]}" for run in hostile_runs if run.code]
    assert not failed, "\n".join(failed)


@pytest.mark.e2e
@pytest.mark.slow
def test_tables_show_hostile_text_literally_and_send_no_control_to_the_terminal(
    hostile_runs: list[Run],
) -> None:
    problems = [p for run in _runs_of(hostile_runs, "table") for p in _problems(run)]
    assert not problems, "\n".join(problems)


@pytest.mark.e2e
@pytest.mark.slow
def test_csv_json_and_file_output_keep_hostile_text_exactly(hostile_runs: list[Run]) -> None:
    runs = _runs_of(hostile_runs, "csv", "json", "machine")
    problems = [p for run in runs for p in _problems(run)]
    assert not problems, "\n".join(problems)


@pytest.mark.e2e
@pytest.mark.slow
def test_the_rejects_table_keeps_each_hostile_line(hostile_runs: list[Run]) -> None:
    rejects = next(r for r in hostile_runs if r.argv == ["rejects", "--json"])
    raws = {json.loads(line)["raw"] for line in rejects.stdout.splitlines()}
    assert {"foo [/x] bar", HOSTILE, "nul\x00byte " + F_MARKUP} <= raws


@pytest.mark.e2e
@pytest.mark.slow
def test_the_console_script_prints_what_the_in_process_run_printed(
    hostile_runs: list[Run],
) -> None:
    """The steps of :data:`REAL_PROCESS`, run by the installed ``setu`` in a new process, print
    exactly what the entry point printed in this process (so the in-process runs, and the
    checks on them, see what a terminal sees)."""
    real = [run for run in hostile_runs if run.real_process]
    assert {(run.step.argv, run.step.mode) for run in real} >= REAL_PROCESS
    if all(run.real_process for run in hostile_runs):
        pytest.skip("every step ran as a real process (setu's consoles were built on a terminal)")
    pairs = [(a, b) for a, b in itertools.pairwise(hostile_runs) if b.real_process]
    assert len(pairs) == len(REAL_PROCESS)
    for in_process, process in pairs:
        assert process.step is in_process.step
        assert (process.code, process.stdout) == (in_process.code, in_process.stdout), process


@pytest.mark.unit
def test_every_command_is_exercised_in_each_format(setu_commands: list[Any]) -> None:
    """Each command that renders appears in the plan in table (or file) output, with ``--json``
    when it has that option and with ``--format csv`` when it has ``--format``."""
    steps = plan(Paths(Path("/nonexistent")))
    commands = [spec for spec in setu_commands if spec.path and (not spec.group or spec.params)]
    by_length = sorted(commands, key=lambda s: -len(s.path))
    covered: dict[tuple[str, ...], set[str]] = {}
    for step in steps:
        spec = next((s for s in by_length if tuple(step.argv[: len(s.path)]) == s.path), None)
        assert spec is not None, f"{step.argv} is not a command"
        covered.setdefault(spec.path, set()).add(step.mode)
    missing = []
    for spec in commands:
        modes = covered.get(spec.path, set())
        wanted = set() if "machine" in modes else {"table"}  # a file format, or the terminal
        wanted |= {"json"} if spec.has("--json") else set()
        wanted |= {"csv"} if spec.has("--format") else set()
        if not wanted <= modes:
            missing.append(f"{spec.label}: {sorted(wanted - modes)}")
    assert not missing, "commands without a hostile-text step: " + "; ".join(missing)
