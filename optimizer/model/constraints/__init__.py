"""Constraint families of the CP-SAT model: one module and one public ``add_<family>`` each.

``registry.REGISTRY`` lists them in build order; everything that builds a model derives its families from it.
"""

from optimizer.model.constraints.breaks import add_breaks
from optimizer.model.constraints.coverage import add_coverage
from optimizer.model.constraints.employment_cost import add_employment_cost
from optimizer.model.constraints.fte_contract import add_fte_contract
from optimizer.model.constraints.gig_pool import add_gig_pool
from optimizer.model.constraints.locks import add_locks
from optimizer.model.constraints.published_shifts import add_published_shifts
from optimizer.model.constraints.registry import (
    FAMILIES,
    PERSONAL_FAMILIES,
    REGISTRY,
    ConstraintFamily,
    Family,
    family,
)
from optimizer.model.constraints.rest_and_days import add_rest_and_days
from optimizer.model.constraints.service_goal import add_service_goal
from optimizer.model.constraints.symmetry import add_symmetry

__all__ = [
    "FAMILIES",
    "PERSONAL_FAMILIES",
    "REGISTRY",
    "ConstraintFamily",
    "Family",
    "add_breaks",
    "add_coverage",
    "add_employment_cost",
    "add_fte_contract",
    "add_gig_pool",
    "add_locks",
    "add_published_shifts",
    "add_rest_and_days",
    "add_service_goal",
    "add_symmetry",
    "family",
]
