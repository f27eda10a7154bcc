"""Nightly cost review over OpenCost's allocation API (see ``README.md`` beside this file)."""
