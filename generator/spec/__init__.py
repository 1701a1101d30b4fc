"""Steps 1-2: spec files -> valid documents (load, YAML, JSON Schema)."""
