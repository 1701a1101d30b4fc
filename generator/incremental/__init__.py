"""Speed only: the cache store, per-spec units and the worker pool. Imported by the
orchestrator (generator/pipeline.py) alone."""
