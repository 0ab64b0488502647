"""Counted crews for the re-plan: identical published shifts modelled by counts, then handed back to people.

The per-person re-plan input (``optimizer.replan.inputs``) has one Boolean per person and variant of each
published shift. Most published shifts are interchangeable: people of the same contract working the same
shift (same start, end and break) have the same variants at the same costs, and, unless an extended variant
breaks the rest rule against that person's shift on a neighbouring day, nothing links one person's shift to
their other shifts (a re-plan crew has no weekly limits, the days of one person are separate shifts, and
weekends and availability are already applied to the variants). ``count_crews`` therefore groups those
shifts into one crew per shape whose variables count how many of its members work each variant:

    sum_v fte[g, v] == n_g    (kept: ``WeekLimit`` with min_days = max_days = 1 over the shift's day)
    sum_v fte[g, v] <= n_g    (releasable: the contract's one-shift-a-day limit; VTO releases the rest)
    fte[g, 0] == n_g          (locked: no variant, not releasable)

Shifts with an option in a rest cut stay in a crew of one per person, exactly as in the per-person input.
The counted model is an exact reformulation, so its objective and bound are the per-person model's;
``person_decisions`` hands each group's counts to its members in worker order.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from optimizer.model.build import BuiltModel
from optimizer.model.inputs import Crew, KeptShift, ShiftOption, WeekLimit
from optimizer.replan.inputs import ReplanInput, Variant


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    """One person in a counted crew: their per-person crew and the options of theirs the crew's options are."""

    crew: int
    """Index of the person's crew in the per-person input."""
    options: tuple[int, ...]
    """Per option of the counted crew, the person's option index in the per-person input."""


@dataclasses.dataclass(frozen=True, slots=True)
class CountedReplan:
    """A re-plan input with identical published shifts counted together, and who its members are."""

    rinp: ReplanInput
    """The counted input; ``variants`` name a representative published shift of each group."""
    members: tuple[tuple[Member, ...], ...]
    """Per crew of the counted input, its members in hand-back order."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Block:
    """The options of one published shift of one person in the per-person input."""

    crew: int
    options: tuple[int, ...]
    locked: bool
    releasable: bool


@dataclasses.dataclass(frozen=True, slots=True)
class _Shape:
    """What makes published shifts interchangeable: contract, each variant's option, locked, releasable."""

    contract: int
    options: tuple[tuple[int, ...], ...]
    locked: bool
    releasable: bool


def _blocks(rinp: ReplanInput) -> list[_Block]:
    inp = rinp.inp
    out = [_Block(i, (k,), locked=True, releasable=False) for i, k in inp.locked]
    out += [_Block(g.crew, g.options, locked=False, releasable=g.releasable) for g in inp.kept]
    return sorted(out, key=lambda b: (b.crew, b.options[0]))


def _coupled(crew: Crew) -> set[int]:
    """Return the options of a person's crew that appear in a rest cut (they stay per person)."""
    return {k for cut in crew.rest_limits for k in (*cut.ending_late, *cut.starting_early)}


def count_crews(rinp: ReplanInput) -> CountedReplan:
    """Return the re-plan input with interchangeable published shifts grouped into counted crews.

    Shifts of a person that have an option in a rest cut, or share a day with another of their shifts, stay
    in that person's crew of one (with their rest cuts); every other published shift joins the crew of its
    shape: contract, day, and each variant's shift type, paid minutes and cost, locked and releasable alike.
    """
    inp = rinp.inp
    by_crew: dict[int, list[_Block]] = defaultdict(list)
    for b in _blocks(rinp):
        by_crew[b.crew].append(b)
    groups: dict[_Shape, list[_Block]] = defaultdict(list)
    personal: dict[int, list[_Block]] = defaultdict(list)
    for i, blocks in by_crew.items():
        crew = inp.crews[i]
        coupled = _coupled(crew)
        days = [crew.options[b.options[0]].day for b in blocks]
        for b, day in zip(blocks, days, strict=True):
            if coupled.intersection(b.options) or days.count(day) > 1:
                personal[i].append(b)
                continue
            shape = tuple(
                (o.day, o.shift_type, o.start, o.end, o.paid_min, o.cost_cents)
                for o in (crew.options[k] for k in b.options)
            )
            groups[_Shape(crew.contract, shape, b.locked, b.releasable)].append(b)

    crews: list[Crew] = []
    variants: list[tuple[Variant, ...]] = []
    members: list[tuple[Member, ...]] = []
    locked: list[tuple[int, int]] = []
    kept: list[KeptShift] = []

    def add_crew(crew_id: str, wids: tuple[str, ...], contract: int, options: list[ShiftOption]) -> int:
        crews.append(
            Crew(
                crew_id=crew_id,
                worker_ids=wids,
                contract=contract,
                options=tuple(options),
                rest_limits=(),
                weeks=(),
                max_consecutive_days=inp.grid.days,
                symmetry_class=-1 - len(crews),
            )
        )
        return len(crews) - 1

    for i, blocks in sorted(personal.items()):
        crew = inp.crews[i]
        keep = [k for b in blocks for k in b.options]
        renumber = {k: j for j, k in enumerate(keep)}
        a = add_crew(crew.crew_id, crew.worker_ids, crew.contract, [crew.options[k] for k in keep])
        crews[a] = dataclasses.replace(
            crews[a],
            rest_limits=tuple(
                dataclasses.replace(
                    cut,
                    ending_late=tuple(renumber[k] for k in cut.ending_late),
                    starting_early=tuple(renumber[k] for k in cut.starting_early),
                )
                for cut in crew.rest_limits
            ),
        )
        variants.append(tuple(rinp.variants[i][k] for k in keep))
        members.append((Member(i, tuple(keep)),))
        for b in blocks:
            if b.locked:
                locked.append((a, renumber[b.options[0]]))
            else:
                kept.append(KeptShift(a, tuple(renumber[k] for k in b.options), b.releasable))

    for g, (key, blocks) in enumerate(groups.items()):
        blocks = sorted(blocks, key=lambda b: inp.crews[b.crew].worker_ids[0])
        first = inp.crews[blocks[0].crew]
        options = [first.options[k] for k in blocks[0].options]
        wids = tuple(inp.crews[b.crew].worker_ids[0] for b in blocks)
        a = add_crew(f"shape{g}" if len(blocks) > 1 else wids[0], wids, key.contract, options)
        variants.append(tuple(rinp.variants[blocks[0].crew][k] for k in blocks[0].options))
        members.append(tuple(Member(b.crew, b.options) for b in blocks))
        if key.locked:
            locked.append((a, 0))
        elif len(blocks) == 1:
            kept.append(KeptShift(a, tuple(range(len(options))), key.releasable))
        elif not key.releasable:
            # Every member works the shift in one of its variants; the contract family's day count says so
            # for a crew (``add_published_shifts`` states it for a person).
            day = options[0].day
            top = max(o.paid_min for o in options)
            crews[a] = dataclasses.replace(crews[a], weeks=(WeekLimit(0, day, day, 0, top, 1, 1),))
    counted = dataclasses.replace(inp, crews=tuple(crews), locked=tuple(locked), kept=tuple(kept))
    return CountedReplan(rinp=dataclasses.replace(rinp, inp=counted, variants=tuple(variants)), members=tuple(members))


def person_decisions(
    counted: CountedReplan, built: BuiltModel, value: Callable[[cp_model.IntVar], int], person: BuiltModel
) -> dict[cp_model.IntVar, int]:
    """Return the per-person model's shift and gig decisions for a solution of the counted model.

    Each counted crew's option counts go to its members in order: the first ``count[0]`` members work
    option 0, the next ``count[1]`` option 1, and so on; members left over are released (VTO).
    """
    out: dict[cp_model.IntVar, int] = {}
    for a, crew_members in enumerate(counted.members):
        xs = built.vars.fte(a)
        for m in crew_members:
            for k in m.options:
                out[person.vars.fte(m.crew)[k]] = 0
        if len(crew_members) == 1:
            m = crew_members[0]
            for j, k in enumerate(m.options):
                out[person.vars.fte(m.crew)[k]] = int(value(xs[j]))
            continue
        queue = iter(crew_members)
        for j, x in enumerate(xs):
            for _ in range(int(value(x))):
                m = next(queue)
                out[person.vars.fte(m.crew)[m.options[j]]] = 1
    starts = built.vars.gig_starts()
    for t, var in person.vars.gig_starts().items():
        out[var] = int(value(starts[t]))
    return out
