"""The packaged sample feed: ``python -m setu.sim.sample [DIRECTORY]`` rewrites it.

The sample is the ``demo`` scenario at seed :data:`setu.sim.DEMO_SEED`, written as
``sample_feed.nmea`` and ``sample_truth.jsonl`` (default directory: the installed ``setu/data``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from setu.sim import DEMO_SCENARIO, DEMO_SEED, sample_feed_path, simulate

FEED_NAME, TRUTH_NAME = "sample_feed.nmea", "sample_truth.jsonl"


def write_sample(directory: Path) -> tuple[Path, Path]:
    """Write the sample feed and its truth into ``directory``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    sim = simulate(DEMO_SCENARIO, seed=DEMO_SEED)
    feed, truth = sim.write(directory / FEED_NAME)
    return feed, truth.rename(directory / TRUTH_NAME)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else sample_feed_path().parent
    for path in write_sample(directory):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
