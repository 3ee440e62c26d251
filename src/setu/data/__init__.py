"""Packaged data: the sample AIS feed of ``setu demo`` and its ground truth.

``sample_feed.nmea`` and ``sample_truth.jsonl`` are written by setu's own simulator (scenario
``demo``, seed :data:`setu.sim.DEMO_SEED`): ``python -m setu.sim.sample`` rewrites them, and a test
checks that regenerating them reproduces these files byte for byte. No recorded data is included.
"""
