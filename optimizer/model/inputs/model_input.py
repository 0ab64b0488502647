"""ModelInput: the fully prepared integer data the CP-SAT model iterates over, and the records it holds.

Crews with their candidate shifts and labour-rule limits, the shift types they share, the gig pool on the
grid, and the published shifts a re-plan keeps. Only ints, tuples and numpy arrays (plus the grid).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from optimizer.grid import Grid
from optimizer.horizon_goal import PreparedGoal
from optimizer.skills import EmailUnits
from optimizer.wishes import WishCents

FILL_RATE_SCALE = 1000
"""Gig fill rate is applied in integer permille inside the solver."""


@dataclass(frozen=True, slots=True)
class ShiftType:
    """A shift shape shared by any number of workers: start, length and the break it takes.

    Breaks are counted per shift type, not per worker: which of the identical shifts takes which break slot
    does not change coverage or cost, so it is decided after the solve.
    """

    start: int
    length: int
    break_len: int
    break_starts: tuple[int, ...]
    skill_group: int = 0
    """Index into ``ModelInput.skill_groups`` of the people who take it (several queues; else 0)."""

    @property
    def end(self) -> int:
        """First interval after the shift."""
        return self.start + self.length


@dataclass(frozen=True, slots=True)
class ShiftOption:
    """One candidate shift of one worker."""

    day: int
    shift_type: int
    start: int
    end: int
    paid_min: int
    cost_cents: int


@dataclass(frozen=True, slots=True)
class WeekLimit:
    """Contract limits for one (possibly partial) week of the horizon, already prorated."""

    week: int
    first_day: int
    last_day: int
    min_paid_min: int
    max_paid_min: int
    min_days: int
    max_days: int


@dataclass(frozen=True, slots=True)
class RestLimit:
    """A rest rule between two days of one crew, as a threshold cut.

    Shifts in ``ending_late`` (on ``first_day``) end less than the minimum rest before ``threshold``; shifts in
    ``starting_early`` (on ``later_day``) start at or before it. No worker can take one of each, so a crew
    of ``size`` workers takes at most ``size`` of them together. For a crew of one these cuts are exactly
    the pairwise rest rule; for a larger crew they are the Hall conditions of pairing one day's shifts with
    the next day's (necessary, so the crew model is a relaxation of the per-person model).
    """

    first_day: int
    later_day: int
    threshold: int
    ending_late: tuple[int, ...]
    starting_early: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class WeekendLimit:
    """At most ``max_worked`` of the weekends ``first..last`` (weekend indices of the horizon) may be worked."""

    first: int
    last: int
    max_worked: int


@dataclass(frozen=True, slots=True)
class WeekendSlot:
    """The options of one local start day that work a weekend: a Friday night into Saturday, a Saturday, a Sunday.

    ``whole_day`` is true for Saturday and Sunday (every option of the day works the weekend); a Friday slot
    holds only the Friday options that reach past Saturday 00:00.
    """

    weekend: int
    day: int
    options: tuple[int, ...]
    whole_day: bool


@dataclass(frozen=True, slots=True)
class WeekendPattern:
    """One way to work the weekend slots (``works[j]`` = 1 works slot j), and the days it decides.

    ``must_work`` and ``must_rest`` are the days every day plan with this pattern works, or rests (e.g. after
    a weekend off, a 5-day week with a 6-day cap leaves no weekday free).
    """

    works: tuple[int, ...]
    must_work: tuple[int, ...]
    must_rest: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Crew:
    """Workers with the same contract and the same absences, modelled together by counts.

    A crew of one is a person; a larger crew's variables count how many of its workers take each shift,
    and ``optimizer.model.assign`` hands the shifts to people after the solve.
    """

    crew_id: str
    worker_ids: tuple[str, ...]
    contract: int
    options: tuple[ShiftOption, ...]
    rest_limits: tuple[RestLimit, ...]
    weeks: tuple[WeekLimit, ...]
    max_consecutive_days: int
    symmetry_class: int
    weekend_slots: tuple[WeekendSlot, ...] = ()
    """Where the crew's options work a weekend (only with a weekends-off rule)."""
    weekend_limits: tuple[WeekendLimit, ...] = ()
    weekend_patterns: tuple[WeekendPattern, ...] = ()
    """Every way one member can work the weekend slots that keeps the weekend rule, the weekly day counts and
    the consecutive-day cap; empty when there are too many to list."""
    optional: bool = False
    """HR mode: how many of the crew are employed is a decision (``employed[c]``), not the crew size."""
    fixed_cost_cents: int = 0
    """Fixed cost of one employed member over the horizon [cents]."""
    skill_group: int = 0
    """Index into ``ModelInput.skill_groups``: the queues the crew may work (several queues; else 0)."""

    @property
    def size(self) -> int:
        """Number of workers in the crew."""
        return len(self.worker_ids)

    def options_on(self, day: int) -> list[int]:
        """Return the indices of the options on a local day."""
        return [k for k, o in enumerate(self.options) if o.day == day]


@dataclass(frozen=True, slots=True)
class GigInput:
    """The gig pool on the grid."""

    starts: tuple[int, ...]
    length: int
    cost_cents: int
    paid_min: int
    max_concurrent: int
    max_per_day: int | None
    fill_permille: int
    posted: tuple[tuple[int, int], ...] = ()
    """Gig shifts already posted, as (start interval, count): a re-plan keeps them."""
    first_new_start: int = 0
    """No gig shift may be newly posted to start before this interval (re-plan: now + lead time)."""
    skills: frozenset[int] = frozenset()
    """Queues (indices into ``ModelInput.queues``) gig workers may work (several queues only)."""


@dataclass(frozen=True, slots=True)
class KeptShift:
    """The options of one crew that work the same published shift, and whether it may be released (re-plan)."""

    crew: int
    options: tuple[int, ...]
    releasable: bool


@dataclass(frozen=True, slots=True)
class QueueInput:
    """One queue of a several-queue problem on the grid (``optimizer.requirement.QueueNeed`` in integers).

    Live queues have ``required`` people per interval; an e-mail queue has its work (``optimizer.skills.
    EmailUnits``: cumulative ``arrived`` in 1/``EMAIL_SCALE`` person-intervals, the window, the goal).
    """

    name: str
    email: bool
    required: np.ndarray
    work: EmailUnits | None = None
    gig_cap: int | None = None
    """Most gig workers on this queue in any interval; None: only the pool's own cap."""


@dataclass(frozen=True, slots=True)
class ModelInput:
    """Fully prepared input of the CP-SAT model: ints, tuples and numpy arrays only (plus the grid)."""

    grid: Grid
    required: np.ndarray
    volume: np.ndarray
    aht_s: np.ndarray
    shift_types: tuple[ShiftType, ...]
    crews: tuple[Crew, ...]
    gig: GigInput | None
    shortfall_penalty_cents: int
    locked: tuple[tuple[int, int], ...] = ()
    """FTE shifts that must be worked, as (crew index, option index): published or already assigned."""
    service: PreparedGoal | None = None
    """The horizon-wide service goal with its concave pieces, when the target's scope is the horizon."""
    kept: tuple[KeptShift, ...] = ()
    """Re-plan: published shifts to work in exactly one variant (or release); empty when locks suffice."""
    employment_cost_cents: int | None = None
    """Re-plan: fixed cost of the staff the published plan employs, a constant term [cents]; None when unpriced."""
    queues: tuple[QueueInput, ...] = ()
    """Several queues: each queue's need; ``required`` is then all zeros (the queues family covers them)."""
    skill_groups: tuple[frozenset[int], ...] = ()
    """Several queues: the queue sets FTE crews may work, indexed by ``Crew.skill_group``."""
    email_keep_up: bool = False
    """Several queues, starts only: credit e-mail done in time only while its backlog keeps up (a linear
    model whose plans cost at least as much in the exact one; ``constraints/queues.py``)."""
    wishes: Mapping[str, WishCents] = field(default_factory=dict)
    """Workers' priced preferences per interval, by worker id (``optimizer.wishes``); empty without any."""

    @property
    def intervals(self) -> int:
        """Number of intervals in the horizon."""
        return self.grid.size
