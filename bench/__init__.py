"""Benchmarks (not tests): scripts that start the real stack and print a small table."""
