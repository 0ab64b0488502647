"""Tiny prepared instances for the per-family tests: one Monday at 60-minute intervals."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from optimizer.domain import GigPool, SolveParams
from optimizer.model.build import BuiltModel, Family, build_model
from optimizer.model.inputs import ModelInput, prepare
from tests.conftest import make_contract, make_problem


def prepared(required: Sequence[int] | None = None, *, days: int = 1, **kw: object) -> ModelInput:
    """Prepare a problem and override the requirement (so tests do not depend on queueing numbers)."""
    problem = make_problem(days=days, **kw)  # type: ignore[arg-type]
    inp = prepare(problem, SolveParams(shortfall_penalty_per_hour_cents=10_000))
    if required is None:
        return inp
    req = np.zeros(inp.intervals, dtype=np.int64)
    req[: len(required)] = required
    return dataclasses.replace(inp, required=req)


def built(inp: ModelInput, *families: Family) -> BuiltModel:
    return build_model(inp, families=families)


def option(inp: ModelInput, worker: int, day: int, hour: int, length_h: int = 8) -> int:
    """Return the index of a worker's option starting at local `hour` on `day` with `length_h` hours."""
    for k, o in enumerate(inp.crews[worker].options):
        ts = inp.grid.timestamp(o.start)
        if o.day == day and ts.hour == hour and o.end - o.start == length_h * 60 // inp.grid.interval_min:
            return k
    msg = f"no option day {day} {hour}:00 {length_h}h"
    raise AssertionError(msg)


__all__ = ["GigPool", "built", "make_contract", "option", "prepared"]
