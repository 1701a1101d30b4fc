"""Schemas of the custom resources infergen renders (see README.md here)."""
