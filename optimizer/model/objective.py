"""Objective as named integer linear terms [cents]."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model


@dataclass(frozen=True, slots=True)
class ObjectiveTerms:
    """Named linear terms whose sum is the objective; every term is in cents.

    Names in use: ``fte_cost``, ``gig_cost``, ``shortfall_penalty``.
    """

    terms: Mapping[str, cp_model.LinearExprT] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> ObjectiveTerms:
        """Return terms that add nothing."""
        return cls({})

    @classmethod
    def of(cls, name: str, expr: cp_model.LinearExprT) -> ObjectiveTerms:
        """Return a single named term."""
        return cls({name: expr})

    def merged(self, other: ObjectiveTerms) -> ObjectiveTerms:
        """Return the union of two sets of terms; a name may appear in only one."""
        clash = set(self.terms) & set(other.terms)
        if clash:
            msg = f"objective term(s) {sorted(clash)} contributed twice"
            raise ValueError(msg)
        return ObjectiveTerms({**self.terms, **other.terms})

    def total(self) -> cp_model.LinearExprT:
        """Return the sum of all terms."""
        return sum(self.terms.values(), cp_model.LinearExpr.constant(0))
