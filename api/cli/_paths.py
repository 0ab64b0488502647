"""Check output paths before any work, so a bad ``--out`` fails in milliseconds rather than after a solve."""

from __future__ import annotations

import os
from pathlib import Path

from optimizer.errors import InputError


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path.cwd()


def check_output_dir(path: Path, flag: str = "--out") -> None:
    """Check that ``path`` is, or can be made as, a folder we can write in.

    Raises
    ------
    InputError
        Naming ``flag`` when ``path`` is a file, lies under a file, or is not writable.
    """
    if path.exists() and not path.is_dir():
        raise InputError.single(flag, f"{path} is a file; give a folder for the output files")
    base = _nearest_existing(path)
    if not base.is_dir():
        raise InputError.single(flag, f"{base} is a file, so {path} cannot be a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError.single(flag, f"cannot write in {base} (permission denied)")


def check_output_file(path: Path, flag: str = "--out") -> None:
    """Check that ``path`` names a file we can write: not a folder, in an existing, writable folder.

    Raises
    ------
    InputError
        Naming ``flag`` when ``path`` is a folder, its folder is missing or a file, or it is not writable.
    """
    if path.is_dir():
        raise InputError.single(flag, f"{path} is a folder; give a file name such as {path / 'demand.csv'}")
    parent = path.parent if str(path.parent) else Path.cwd()
    if not parent.exists():
        raise InputError.single(flag, f"folder {parent} does not exist")
    if not parent.is_dir():
        raise InputError.single(flag, f"{parent} is a file, not a folder")
    target = path if path.exists() else parent
    if not os.access(target, os.W_OK):
        raise InputError.single(flag, f"cannot write {path} (permission denied)")
