"""Scenarios: the shiftmix pipeline run as a plan or a what-if sweep, and the bundled example data."""
