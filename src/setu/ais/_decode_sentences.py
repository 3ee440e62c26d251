"""A small reference reassembler: NMEA sentence strings → :class:`PayloadBatch`.

For tests, documentation examples and ``setu decode`` on a handful of sentences; the ingest path
uses the compiled framing of :mod:`setu.ais.sentences`. Understands ``!ccVDM``/``!ccVDO`` from any
talker, optionally after IEC 61162-450 tag blocks (``s:`` station and ``c:`` Unix time are
used), and joins multi-part messages by (sequence id, channel, fragment count). Lines that are
not AIS sentences, fragments out of order and incomplete groups are skipped: validating framing
is not this helper's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from setu.ais.batch import NO_TIME, PayloadBatch

_SENTENCE = re.compile(
    r"(?:\\(?P<tag>[^\\]*)\\)?!(?P<talker>[A-Z]{2}VD[MO]),(?P<total>\d),(?P<num>\d),"
    r"(?P<seq>\d*),(?P<chan>[^,]*),(?P<payload>[^,]*),(?P<fill>\d)\*(?P<cs>[0-9A-Fa-f]{2})"
)


def _checksum_ok(sentence: str) -> bool:
    body, _, given = sentence[1:].partition("*")
    value = 0
    for ch in body.encode("ascii", "replace"):
        value ^= ch
    return given[:2].upper() == f"{value:02X}"


def _tag(tag: str | None, key: str) -> str | None:
    if not tag:
        return None
    for part in tag.split("*")[0].split(","):
        if part.startswith(key + ":"):
            return part[len(key) + 1 :]
    return None


def batch_from_sentences(lines: Iterable[str]) -> PayloadBatch:
    """Complete messages found in ``lines`` (one sentence or tag block + sentence per match)."""
    rows: list[tuple[str, int, int, int, bool, int, str | None, str, str | None]] = []
    pending: dict[tuple[str, str, int], list] = {}
    for line_no, line in enumerate(lines, start=1):
        for m in _SENTENCE.finditer(line):
            total, num = int(m["total"]), int(m["num"])
            ok = _checksum_ok(m.group(0)[m.start("talker") - 1 - m.start() :])
            stamp = _tag(m["tag"], "c")
            time_us = int(stamp) * 1_000_000 if stamp and stamp.isdigit() else NO_TIME
            if time_us != NO_TIME and int(stamp or 0) > 100_000_000_000:
                time_us = int(stamp or 0) * 1000
            station = _tag(m["tag"], "s")
            chan = m["chan"] or None
            if total == 1:
                rows.append(
                    (
                        m["payload"],
                        int(m["fill"]),
                        time_us,
                        line_no,
                        ok,
                        1,
                        chan,
                        m["talker"],
                        station,
                    )
                )
                continue
            key = (m["seq"], m["chan"], total)
            if num == 1:
                pending[key] = [m["payload"], time_us, line_no, ok, station, 1]
                continue
            group = pending.get(key)
            if group is None or group[5] + 1 != num:
                pending.pop(key, None)
                continue
            group[0] += m["payload"]
            group[3] = group[3] and ok
            group[5] = num
            if num == total:
                del pending[key]
                rows.append(
                    (
                        group[0],
                        int(m["fill"]),
                        group[1],
                        group[2],
                        group[3],
                        total,
                        chan,
                        m["talker"],
                        group[4],
                    )
                )
    return _to_batch(rows)


def _to_batch(rows: list) -> PayloadBatch:
    data = "".join(r[0] for r in rows).encode("ascii")
    lengths = np.array([len(r[0]) for r in rows], np.int64)
    offsets = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return PayloadBatch(
        payload=np.frombuffer(data, np.uint8).copy(),
        offsets=offsets,
        fill_bits=np.array([r[1] for r in rows], np.uint8),
        received_at_us=np.array([r[2] for r in rows], np.int64),
        line_no=np.array([r[3] for r in rows], np.int64),
        checksum_ok=np.array([r[4] for r in rows], np.bool_),
        sentence_count=np.array([r[5] for r in rows], np.uint8),
        channel=pa.array([r[6] for r in rows], pa.string()),
        talker=pa.array([r[7] for r in rows], pa.string()),
        station=pa.array([r[8] for r in rows], pa.string()),
    )
