"""Rates of the label core: canonical bytes, rank lookups, derive, bind and verify.

Usage: ``.venv/bin/python benchmarks/security_labels.py [n_labels]`` (default 100,000). Creates a
throw-away node identity in a temporary directory. Prints operations per second; no thresholds
(the issue's bars concern the gate and the audit log, which have their own benchmarks).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from setu.security import equivalence as eq
from setu.security.binding import bind, verify
from setu.security.labels import Label, Originator, canonical_json, derive
from setu.security.node import init_node


def rate(name: str, count: int, work: Callable[[], object]) -> None:
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    print(f"{name:<42} {count:>9,} in {seconds:7.3f} s = {count / seconds:>12,.0f} /s")


def main(n_labels: int) -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    levels = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"]
    labels = [
        Label(
            originator_nation="IND",
            originator_node=("mumbai", "kochi")[i % 2],
            classification=levels[i % 3],
            releasable_to=frozenset({"IND", "JPN"} if i % 5 else {"IND"}),
            purposes=frozenset({"MDA", "CT"}),
            caveats=frozenset(),
            created_at=t0 + timedelta(hours=i // 10_000),  # one label per batch
        )
        for i in range(n_labels)
    ]
    rate("canonical_bytes", n_labels, lambda: [lb.canonical_bytes() for lb in labels])
    rate(
        "rank (table lookup)",
        n_labels,
        lambda: [eq.rank(lb.originator_nation, lb.classification) for lb in labels],
    )
    rate(
        "derive (one label from all inputs)",
        n_labels,
        lambda: derive(labels, deriving=Originator("IND", "mumbai")),
    )
    distinct = len(set(labels))
    print(f"  ({distinct:,} distinct labels among {n_labels:,}: decide per label group)")
    with tempfile.TemporaryDirectory() as tmp:
        node = init_node(Path(tmp), nation="IND", name="mumbai")
        own = [lb for lb in labels if lb.originator_node == "mumbai"][:5_000]
        content = canonical_json({"mmsi": 419000123, "lat": 18.9, "lon": 72.8, "pad": "x" * 900})
        bindings: list = []
        rate(
            "bind (Ed25519 JWS, 1 kB content)",
            len(own),
            lambda: bindings.extend(bind(lb, content, node) for lb in own),
        )
        keys = {node.key_id: node.trusted_key()}
        rate("verify", len(bindings), lambda: [verify(b, content, keys) for b in bindings])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
