"""Benchmark of the assistant: latency, throughput, memory and training cost beside two baselines.

Run `scripts/bench.sh` (or `python -m bench`); `--tiny` is the quick end-to-end check used by the tests.
"""
