"""Benchmarks: speed and memory targets, printed with the machine they ran on. Not part of the tests."""
