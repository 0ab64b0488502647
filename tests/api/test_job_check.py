"""Jobs that produce a plan run ``check_plan`` on it; the findings are stored and returned with the plan."""

from __future__ import annotations

from pathlib import Path

from api.examples import example_problem
from api.jobs.schedule import check_json, stored_violations
from api.storage import Storage
from optimizer import plan
from optimizer.check import Violation
from optimizer.domain import SolveParams

PARAMS = SolveParams(time_limit_s=10, num_workers=1, random_seed=1)


def test_check_findings_round_trip_through_the_job_store(tmp_path: Path) -> None:
    problem = example_problem()
    solved = plan(problem, PARAMS)
    overpriced = solved.model_copy(
        update={"cost_terms_cents": {**solved.cost_terms_cents, "fte_cost": solved.cost_terms_cents["fte_cost"] + 1}}
    )
    storage = Storage(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    storage.create_all()
    principal = storage.principal_for_key(storage.create_api_key("org"))
    assert principal is not None
    jobs = []
    for candidate in (solved, overpriced):
        record, _ = storage.create_job(
            principal, request_json="{}", inputs_digest="d" * 64, params_json="{}", solver_version="test"
        )
        assert storage.claim(record.job_id, worker_pid=1)
        storage.finish(
            record.job_id,
            "succeeded",
            result_json=candidate.model_dump_json(),
            check_json=check_json(problem, candidate, PARAMS),
        )
        jobs.append(storage.get_job(record.job_id))
    assert stored_violations(storage, jobs[0]) == []
    found = stored_violations(storage, jobs[1])
    assert found is not None
    assert [v.rule for v in found] == ["cost_terms"]
    assert isinstance(found[0], Violation)
    storage.close()


def test_a_plan_without_a_solution_has_no_check() -> None:
    problem = example_problem()
    solved = plan(problem, PARAMS)
    failed = solved.model_copy(update={"solver": solved.solver.model_copy(update={"status": "UNKNOWN"})})
    assert check_json(problem, failed, PARAMS) is None
