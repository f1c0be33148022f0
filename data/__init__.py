"""Shared data layer: dataset readers and fetchers, checksums, the cache, atomic result files, provenance."""
