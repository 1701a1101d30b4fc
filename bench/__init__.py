"""Benchmarks of infergen at fleet scale (`make bench`); not part of the package."""
