"""Handing a crew plan to people when its counts do not split: the people left free, a feasible start."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.domain import SolveParams
from optimizer.model.assign import Assignment, hint_completion, personal_input
from optimizer.model.build import build_model
from optimizer.model.inputs import prepare
from tests.conftest import make_problem
from tests.optimizer.cpsat_asserts import assert_feasible


def _crew_plan():
    inp = prepare(make_problem(days=2, n_workers=3), SolveParams(), aggregate=True)
    assert [c.size for c in inp.crews] == [3]
    built = build_model(inp)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    status = solver.solve(built.cp_model)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    outcome = type("Outcome", (), {"solver": solver})()
    counts = [int(solver.value(x)) for x in built.vars.fte(0)]
    return inp, built, outcome, counts


def _short_assignment(inp, counts):
    """Every shift handed out but one: the last worker's first shift is left unplaced, that worker free."""
    used = [k for k, n in enumerate(counts) for _ in range(n)]
    workers = inp.crews[0].worker_ids
    picks = {w: tuple(sorted(set(used[i :: len(workers)]))) for i, w in enumerate(workers)}
    free = workers[-1]
    picks[free] = picks[free][1:]
    options = tuple(sorted({k for k, n in enumerate(counts) if n}))
    return Assignment(picks=picks, unmatched_shifts=1, free_options={free: options})


def test_a_person_left_free_chooses_among_the_crew_plans_options_under_their_own_rules():
    inp, _, _, counts = _crew_plan()
    assignment = _short_assignment(inp, counts)
    person = personal_input(inp, assignment)
    free = inp.crews[0].worker_ids[-1]
    crews = {c.crew_id: (i, c) for i, c in enumerate(person.crews)}
    i, crew = crews[free]
    assert len(crew.options) == len(assignment.free_options[free])
    assert crew.weeks == inp.crews[0].weeks
    assert all(c != i for c, _ in person.locked)
    locked_people = {person.crews[c].crew_id for c, _ in person.locked}
    assert locked_people == set(inp.crews[0].worker_ids[:-1]) - {w for w, p in assignment.picks.items() if not p}


def test_the_completion_start_keeps_breaks_to_the_shifts_people_took():
    inp, crew_built, outcome, counts = _crew_plan()
    assignment = _short_assignment(inp, counts)
    person = personal_input(inp, assignment)
    built = build_model(person)
    hint_completion(built, crew_built, outcome, assignment)  # type: ignore[arg-type]
    hint = built.cp_model.proto.solution_hint
    decisions = {x.index for x in built.vars.decisions().values()}
    fixed = {
        built.cp_model.get_int_var_from_proto_index(v): value
        for v, value in zip(hint.vars, hint.values, strict=True)
        if v in decisions
    }
    assert_feasible(built, fixed)
