"""Benchmarks that print figures (see README.md); bench/run runs one.
Modules starting with _ are parts of a benchmark, not benchmarks."""
