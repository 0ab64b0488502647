"""Bundled example data: the Stockholm history, the example plan config and scenario files."""
