"""Argument types shared by the sub-commands: numbers that must be finite, so NaN and inf get a plain answer."""

from __future__ import annotations

import argparse
import math


def finite_float(text: str) -> float:
    """Parse a finite number; argparse names the flag in the error (``argument --aht-s: ...``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value
