"""Benchmarks: our paths measured against ceilings measured in the same run (make bench)."""
