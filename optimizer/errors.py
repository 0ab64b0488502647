"""Errors raised by the optimizer package.

Hierarchy::

    ShiftmixError                      base of every error shiftmix raises on purpose
    ├── InputError(ShiftmixError, ValueError)   a user input breaks a rule; carries ``field`` and ``problem``
    │   └── DataError(InputError)               a frame breaks its contract; ``field`` is ``column[row]``
    └── ModelError(ShiftmixError, RuntimeError) a CP-SAT model we built is invalid: a bug, never the user's fault

Solver outcomes (infeasible, time limit) are statuses on the plan, not exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ShiftmixError(Exception):
    """Base class of every error shiftmix raises on purpose."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in user input.

    Parameters
    ----------
    field : str
        Dotted path to the offending value, in pydantic ``loc`` style
        (``workforce.workers[3].contract``) or ``column[row]`` for frames.
    problem : str
        What is wrong, as one short sentence fragment.
    """

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


class InputError(ShiftmixError, ValueError):
    """A user input breaks a rule.

    Carries every problem found (``issues``), so a caller can report all of them at once;
    ``field`` and ``problem`` are those of the first.
    """

    def __init__(self, issues: Sequence[Issue] | Issue) -> None:
        self.issues: tuple[Issue, ...] = (issues,) if isinstance(issues, Issue) else tuple(issues)
        if not self.issues:
            msg = "InputError needs at least one issue"
            raise ValueError(msg)
        self.field = self.issues[0].field
        self.problem = self.issues[0].problem
        super().__init__("; ".join(str(i) for i in self.issues))

    @classmethod
    def single(cls, field: str, problem: str) -> InputError:
        """Build an error with one issue."""
        return cls(Issue(field, problem))


class DataError(InputError):
    """A data frame (history, demand) breaks its column contract."""


class ModelError(ShiftmixError, RuntimeError):
    """A CP-SAT model built by shiftmix is invalid: a bug in shiftmix, not in the input."""
