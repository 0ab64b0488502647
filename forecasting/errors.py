"""Errors raised by the forecasting package.

Hierarchy::

    ForecastingError                          base of every error forecasting raises on purpose
    ├── HistoryError(ForecastingError, ValueError)  a history file or frame breaks its contract;
    │                                               carries every problem found as ``issues``
    └── ForecastInputError(ForecastingError, ValueError)  a bad argument (horizon, quantile, country …)

``forecasting`` does not import ``optimizer`` (DESIGN.md), so it has its own base class; the CLI and the
API catch both hierarchies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HistoryIssue:
    """One problem in a history frame: the column (or field), the first bad row, and what is wrong."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


class ForecastingError(Exception):
    """Base class of every error the forecasting package raises on purpose."""


class HistoryError(ForecastingError, ValueError):
    """A history input breaks its contract; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[HistoryIssue]) -> None:
        self.issues = tuple(issues)
        if not self.issues:
            msg = "HistoryError needs at least one issue"
            raise ValueError(msg)
        self.field = self.issues[0].field
        self.problem = self.issues[0].problem
        super().__init__("; ".join(str(i) for i in self.issues))


class ForecastInputError(ForecastingError, ValueError):
    """A forecasting argument is invalid; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")
