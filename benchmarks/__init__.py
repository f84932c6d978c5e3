"""Timings of minicnn against PyTorch (run `python -m benchmarks`; see README.md)."""
