"""Benchmarks: each script prints its figures and a ratio to a same-run baseline."""
