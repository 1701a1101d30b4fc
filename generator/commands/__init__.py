"""The side commands: explain, new (scaffold), diff, docs."""
