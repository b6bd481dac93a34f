"""Benchmarks: measured by hand or by `make bench`, never as timed unit tests."""
