"""The authorisation gate on a batch of 100,000 labelled objects, on one core.

Cases, each a ``read`` by one analyst with the packaged Cedar policies and an in-memory audit
hook (the disclosure log's own append rate is measured by the audit benchmark):

- ``few labels``: 100,000 :class:`Resource` objects under 4 labels (positions of 4 sources);
- ``groups``: the same objects as 4 :class:`ResourceGroup` (one per source or Parquet batch);
- ``distinct times``: 100,000 labels differing only in their creation time (one per batch of a
  live feed): the decision does not read the time, so they share one Cedar request;
- ``worst case``: 100,000 labels differing in a decision-relevant field (originator node): one
  Cedar request each;
- ``per object``: ``authorize`` called once per object (a sample, scaled to 100,000), which is
  what deciding without grouping costs.

Prints wall time, objects per second, Cedar requests and audit rows per case, and the ratio of
the grouped batch to per-object decisions.

    python benchmarks/gate.py                 # 100,000 objects, per-object sample of 2,000
    python benchmarks/gate.py --objects 20000 --sample 500 --cpu -1
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from setu.security.gate import (
    Action,
    DecisionRecord,
    RequestContext,
    Resource,
    ResourceGroup,
    authorize,
    default_policies,
)
from setu.security.labels import Label
from setu.security.principals import Principal, PrincipalKind, Role

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
ANALYST = Principal(
    "asha", PrincipalKind.USER, "IND", "SECRET", frozenset({"mda"}), frozenset({Role.ANALYST})
)
CONTEXT = RequestContext(local_nation="IND", local_node="ind-mumbai", now=NOW)


def _label(node: str = "ind-mumbai", level: str = "SECRET", seconds: int = 0) -> Label:
    return Label(
        originator_nation="IND",
        originator_node=node,
        classification=level,
        releasable_to=frozenset({"IND", "JPN"}),
        purposes=frozenset({"MDA"}),
        caveats=frozenset(),
        created_at=NOW - timedelta(seconds=seconds),
    )


def _run(items: Sequence[Resource | ResourceGroup]) -> tuple[float, int, int]:
    records: list[DecisionRecord] = []
    start = time.perf_counter()
    decisions = authorize(ANALYST, Action.READ, items, context=CONTEXT, audit=records.append)
    elapsed = time.perf_counter() - start
    return elapsed, decisions.cedar_requests, len(records)


def _per_object(items: Sequence[Resource]) -> tuple[float, int, int]:
    records: list[DecisionRecord] = []
    start = time.perf_counter()
    for item in items:
        authorize(ANALYST, Action.READ, [item], context=CONTEXT, audit=records.append)
    return time.perf_counter() - start, len(items), len(records)


def _cases(n: int) -> dict[str, Callable[[], Sequence[Resource | ResourceGroup]]]:
    four = [_label(level=lv) for lv in ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET")]
    ids = [f"pos-{i}" for i in range(n)]
    return {
        "few labels": lambda: [Resource(ids[i], four[i % 4]) for i in range(n)],
        "groups": lambda: [ResourceGroup(lab, tuple(ids[k::4])) for k, lab in enumerate(four)],
        "distinct times": lambda: [Resource(ids[i], _label(seconds=i)) for i in range(n)],
        "worst case": lambda: [Resource(ids[i], _label(node=f"ind-n{i}")) for i in range(n)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000, help="per-object calls to time")
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin to (-1: not pinned)")
    args = parser.parse_args()
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    default_policies()  # parse and validate once, outside the clock
    _run([Resource("warm-up", _label())])
    n = args.objects
    print(f"gate: read of {n:,} objects by one analyst, packaged policies, one core")
    print(f"{'case':<16}{'seconds':>10}{'objects/s':>14}{'Cedar requests':>16}{'audit rows':>12}")
    rates: dict[str, float] = {}
    for name, build in _cases(n).items():
        items = build()
        seconds, requests, rows = _run(items)
        rates[name] = n / seconds
        print(f"{name:<16}{seconds:>10.3f}{rates[name]:>14,.0f}{requests:>16,}{rows:>12,}")
    sample = [Resource(f"pos-{i}", _label()) for i in range(args.sample)]
    seconds, requests, rows = _per_object(sample)
    rates["per object"] = len(sample) / seconds
    scaled = n / rates["per object"]
    print(
        f"{'per object':<16}{scaled:>10.3f}{rates['per object']:>14,.0f}{n:>16,}{n:>12,}"
        f"   (timed on {len(sample):,}, scaled to {n:,})"
    )
    print(
        f"grouped batch vs per object: {rates['few labels'] / rates['per object']:,.0f}x faster; "
        f"worst case vs per object: {rates['worst case'] / rates['per object']:,.1f}x"
    )


if __name__ == "__main__":
    main()
