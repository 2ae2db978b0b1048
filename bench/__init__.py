"""Benchmarks: ``python -m bench [--quick]``. Figures, never timing asserts in tests."""
