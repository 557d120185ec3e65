"""opsim benchmarks: each module prints a table with the machine and records it in docs/benchmarks.md."""
