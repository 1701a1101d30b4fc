"""`python -m generator` runs the infergen command line."""

from generator.cli import entry

entry()
