"""Benchmarks: Tatoeba (and, to come, BUCC and xSIM)."""
