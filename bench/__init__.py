"""make bench: dataset-backed benchmarks of the running app (docs/performance.md).

Not part of make test; tests/bench checks the pure parts."""
