"""The one registry of constraint families: what the model contains, in build order, and what reads it.

``build_model`` builds every family (``FAMILIES``); ``assign`` keeps the personal ones hard when it splits a
crew into people; ``explain`` probes one worker with them to name the rule that cannot hold; re-plans use the
same list (the re-plan families add nothing outside a re-plan). ``check_rules`` names the ``check_plan`` rule
codes that re-verify a family from the plan alone.

Adding a labour rule: write ``constraints/<family>.py`` with one ``add_<family>``, add its entry here (mark it
``personal`` if it binds each worker on their own), add its rule to ``optimizer/check.py`` and list the code in
``check_rules``, and test both (``tests/optimizer/constraints/`` and ``tests/optimizer/test_check_rules.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.model.constraints.breaks import add_breaks
from optimizer.model.constraints.coverage import add_coverage
from optimizer.model.constraints.employment_cost import add_employment_cost
from optimizer.model.constraints.fte_contract import add_fte_contract
from optimizer.model.constraints.gig_pool import add_gig_pool
from optimizer.model.constraints.locks import add_locks
from optimizer.model.constraints.preferences import add_preferences
from optimizer.model.constraints.published_shifts import add_published_shifts
from optimizer.model.constraints.queues import add_queues
from optimizer.model.constraints.rest_and_days import add_rest_and_days
from optimizer.model.constraints.service_goal import add_service_goal
from optimizer.model.constraints.symmetry import add_symmetry
from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars

Family = Callable[[cp_model.CpModel, ShiftVars, ModelInput], ObjectiveTerms]
"""The signature every ``add_<family>`` shares."""


@dataclass(frozen=True, slots=True)
class ConstraintFamily:
    """One constraint family and what the rest of shiftmix needs to know about it."""

    name: str
    """Short name, the module's name under ``optimizer/model/constraints/``."""
    add: Family
    """Its ``add_<family>`` function."""
    personal: bool
    """Whether it binds each worker on their own (kept hard by ``assign``, probed by ``explain``)."""
    check_rules: tuple[str, ...]
    """The ``check_plan`` rule codes that re-verify it from the plan alone."""
    replan: bool = False
    """Whether it only acts in a re-plan (it reads ``ModelInput.kept`` or ``employment_cost_cents``)."""


REGISTRY: tuple[ConstraintFamily, ...] = (
    ConstraintFamily("coverage", add_coverage, personal=False, check_rules=("coverage",)),
    ConstraintFamily("queues", add_queues, personal=False, check_rules=("routing",)),
    ConstraintFamily("service_goal", add_service_goal, personal=False, check_rules=("objective",)),
    ConstraintFamily(
        "fte_contract",
        add_fte_contract,
        personal=True,
        check_rules=("one_shift_per_day", "max_hours", "min_hours", "max_days", "min_days"),
    ),
    ConstraintFamily(
        "rest_and_days", add_rest_and_days, personal=True, check_rules=("rest", "consecutive_days", "weekends_off")
    ),
    ConstraintFamily("breaks", add_breaks, personal=False, check_rules=("breaks",)),
    ConstraintFamily(
        "gig_pool",
        add_gig_pool,
        personal=False,
        check_rules=("gig_pool", "gig_length", "gig_start_window", "gig_per_day", "gig_cap"),
    ),
    ConstraintFamily("locks", add_locks, personal=False, check_rules=()),
    # Not personal: it orders interchangeable people, which binds no worker. In a split into people it cut no
    # split the counts admit but slowed the search for one (14 flex workers, 70 shifts: 6 misses in 1.5 s with
    # it, none in 1.0 s without), and it must not order people whose wishes differ.
    ConstraintFamily("symmetry", add_symmetry, personal=False, check_rules=()),
    ConstraintFamily(
        "published_shifts", add_published_shifts, personal=False, check_rules=("overtime_cost",), replan=True
    ),
    ConstraintFamily("employment_cost", add_employment_cost, personal=False, check_rules=(), replan=True),
    # its term is re-priced by check_plan's "objective" and "cost_terms" rules (optimizer.wishes)
    ConstraintFamily("preferences", add_preferences, personal=False, check_rules=()),
)
"""Every constraint family, in build order."""

PREPARE_RULES: tuple[str, ...] = (
    "shift_length",
    "start_window",
    "start_grid",
    "availability",
    "time_off",
    "paid_minutes",
    "cost",
)
"""``check_plan`` rule codes that re-verify ``prepare``'s candidate shifts (lengths, windows, pay), not a family."""

PLAN_RULES: tuple[str, ...] = ("unknown_worker", "cost_terms", "bound")
"""``check_plan`` rule codes about the plan's own bookkeeping: its workers, cost terms and bound."""


def family(name: str) -> ConstraintFamily:
    """Return the registry entry of a family by name.

    Raises
    ------
    KeyError
        When no family has that name.
    """
    for entry in REGISTRY:
        if entry.name == name:
            return entry
    raise KeyError(name)


FAMILIES: tuple[Family, ...] = tuple(entry.add for entry in REGISTRY)
"""What the model contains, in build order (every plan, crew model and re-plan builds these)."""

PERSONAL_FAMILIES: tuple[Family, ...] = tuple(entry.add for entry in REGISTRY if entry.personal)
"""The rules that bind each worker on their own; exact for a crew of one."""
