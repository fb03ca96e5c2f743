"""Benchmarks (`make bench`): ratios measured side by side in one run; results go to bench/RESULTS.md."""
