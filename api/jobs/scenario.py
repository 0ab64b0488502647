"""Scenario jobs: run a what-if scenario's base and variations as one job of kind ``scenario``.

The server reads no file a request names: a scenario's base is inline or ``bundled:example.yaml``, and its
history is a bundled history file (``history.csv``). :func:`submit_scenario` checks that, bounds the number of
variations (``settings.max_scenario_variations``) before a sweep is expanded, caps every run's
``solve.time_limit_s`` at the server's limit and its ``solve.num_workers`` at the server's threads per job
(``settings.threads_per_job``, as for schedule jobs), and derives every run
(``scenarios.derive.prepare_scenario``) so a bad variation is rejected before anything is stored. The worker
(:func:`run_scenario_job`) caps the runs again from the job's stored limits, runs them one after the other in
its own process (``jobs=1``: the server already bounds its worker processes; each run would otherwise get every
core of the machine) and stores the results rows, ``results.csv`` and the cost-optimal headcount. Charts are
not made.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from api.jobs import JobRunner, abandon_on_stop, watch_for_stop
from api.jobs.schedule import ensure_same_request
from api.schemas.scenario import ScenarioJobParams, ScenarioResults
from api.settings import Settings
from api.storage import JobRecord, Principal, Storage
from forecasting.errors import ForecastingError
from optimizer.errors import InputError, ShiftmixError
from optimizer.model.solve import SOLVER_VERSION
from scenarios.compare import results_frame, scenario_headcount_optimum
from scenarios.derive import BUNDLED_PREFIX, PreparedScenario, prepare_scenario
from scenarios.scenario import Patch, Scenario, Variation, deep_merge
from scenarios.spec import EXAMPLE_CONFIG
from scenarios.sweep import run_scenario

ALLOWED_BASE_CONFIGS = (f"{BUNDLED_PREFIX}{EXAMPLE_CONFIG}",)
"""The only ``base_config`` values a request may name: bundled configs, never a path on the server."""

FORECAST_ALLOWANCE_S = 60.0
"""Time budget for loading the history and fitting the forecasts of one scenario job [s]."""

RUN_ALLOWANCE_S = 5.0
"""Time budget per run beyond its solve time limit: building the problem, extracting and checking the plan [s]."""


@functools.cache
def bundled_dir() -> Path:
    """Return the folder of the bundled configs and histories; relative history names resolve here."""
    return Path(str(resources.files("scenarios.bundled")))


@functools.cache
def bundled_histories() -> tuple[str, ...]:
    """Return the names of the bundled history files a scenario's ``history`` may name."""
    return tuple(sorted(p.name for p in bundled_dir().iterdir() if p.suffix == ".csv"))


# ---- validation (server process) ---------------------------------------------------------------------------


def check_sources(scenario: Scenario) -> None:
    """Reject a scenario that names a file other than a bundled config or history.

    Raises
    ------
    InputError
        Naming ``base_config``, ``base.history`` or ``base_overrides.history``.
    """
    if scenario.base_config is not None and scenario.base_config not in ALLOWED_BASE_CONFIGS:
        problem = f"must be one of {', '.join(ALLOWED_BASE_CONFIGS)} (or give the base inline); the API reads no files"
        raise InputError.single("base_config", problem)
    histories = {"base_overrides.history": scenario.base_overrides.get("history")}
    if scenario.base is not None:
        histories["base.history"] = scenario.base.history
    for field in ("base_overrides.demand", "base.demand"):
        given = (
            scenario.base_overrides.get("demand")
            if field.startswith("base_overrides")
            else getattr(scenario.base, "demand", None)
        )
        if given is not None:
            raise InputError.single(field, "the API reads no files; give a bundled history to forecast instead")
    for field, name in histories.items():
        if name is not None and name not in bundled_histories():
            problem = f"{name!r} is not a bundled history; one of: {', '.join(bundled_histories())}"
            raise InputError.single(field, problem)


def check_size(scenario: Scenario, limit: int) -> None:
    """Reject a scenario with more than ``limit`` variations, counting a sweep's before expanding it.

    Raises
    ------
    InputError
        Naming ``variations`` (too many listed) or ``sweep`` (too many in all).
    """
    listed = len(scenario.variations)
    if listed > limit:
        raise InputError.single("variations", f"has {listed} variations; this server runs at most {limit}")
    swept = math.prod(len(values) for values in scenario.sweep.values()) if scenario.sweep else 0
    if listed + swept > limit:
        problem = f"generates {swept} variations, {listed + swept} with those listed; this server runs at most {limit}"
        raise InputError.single("sweep", problem)


def _capped_patch(patch: Any, caps: Mapping[str, float]) -> Any:
    if not isinstance(patch, dict):
        return patch
    over = {k: cap for k, cap in caps.items() if isinstance(patch.get(k), int | float) and patch[k] > cap}
    return {**patch, **over} if over else patch


def _capped_sweep(key: str, values: list[Any], caps: Mapping[str, float]) -> list[Any]:
    if key == "solve":
        return [_capped_patch(v, caps) for v in values]
    head, _, name = key.partition(".")
    if head == "solve" and name in caps:
        return [min(v, caps[name]) if isinstance(v, int | float) else v for v in values]
    return values


def _caps(cap_s: float, threads: int | None) -> dict[str, float]:
    caps: dict[str, float] = {"time_limit_s": cap_s}
    if threads is not None:
        caps["num_workers"] = threads
    return caps


def _over(prepared: PreparedScenario, caps: Mapping[str, float]) -> dict[str, int]:
    """Return how many runs ask for more than each cap (by ``SolveParams`` field)."""
    return {k: sum(getattr(run.config.solve, k) > cap for run in prepared.runs) for k, cap in caps.items()}


def capped_scenario(
    scenario: Scenario, cap_s: float, *, threads: int | None = None
) -> tuple[Scenario, PreparedScenario]:
    """Return the scenario with every run's ``solve.time_limit_s`` capped at ``cap_s``, and its derived runs.

    With ``threads``, every run's ``solve.num_workers`` is capped at it too. A cap goes where the value is set:
    the base (through ``base_overrides``), variation ``solve`` patches and ``solve`` sweep values.

    Raises
    ------
    InputError
        When a run breaks a rule (``scenarios.derive.prepare_scenario``; the field is named).
    """
    capped, prepared, _ = _capped(scenario, _caps(cap_s, threads))
    return capped, prepared


def _capped(scenario: Scenario, caps: Mapping[str, float]) -> tuple[Scenario, PreparedScenario, dict[str, int]]:
    """Return the capped scenario, its derived runs, and how many runs asked for more than each cap."""
    prepared = prepare_scenario(scenario, bundled_dir())
    over = _over(prepared, caps)
    if not any(over.values()):
        return scenario, prepared, over
    overrides: Patch = dict(scenario.base_overrides)
    base = prepared.runs[0].config.solve
    base_over = {k: cap for k, cap in caps.items() if getattr(base, k) > cap}
    if base_over:
        overrides = deep_merge(overrides, {"solve": base_over})
    variations: list[Variation] = [
        v.model_copy(update={"solve": _capped_patch(v.solve, caps)}) for v in scenario.variations
    ]
    capped = scenario.model_copy(
        update={
            "base_overrides": overrides,
            "variations": tuple(variations),
            "sweep": {k: _capped_sweep(k, values, caps) for k, values in scenario.sweep.items()},
        }
    )
    return capped, prepare_scenario(capped, bundled_dir()), over


def scenario_digest(scenario: Scenario) -> str:
    """Return the SHA-256 of the canonical JSON of a scenario as run."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_scenario(scenario: Scenario, settings: Settings) -> tuple[str, ScenarioJobParams]:
    """Check a scenario as a run would, without running it; return its digest and the job's limits.

    Raises
    ------
    InputError
        From :func:`check_sources`, :func:`check_size` or :func:`capped_scenario`, naming the field.
    """
    check_sources(scenario)
    check_size(scenario, settings.max_scenario_variations)
    capped, prepared, over = _capped(scenario, _caps(settings.max_time_limit_s, settings.threads_per_job))
    solve_s = sum(run.config.solve.time_limit_s + RUN_ALLOWANCE_S for run in prepared.runs)
    params = ScenarioJobParams(
        time_limit_s=FORECAST_ALLOWANCE_S + solve_s,
        run_time_limit_s=settings.max_time_limit_s,
        run_threads=settings.threads_per_job,
        runs=len(prepared.runs),
        runs_over_time_limit=over["time_limit_s"],
        runs_over_threads=over["num_workers"],
    )
    return scenario_digest(capped), params


def submit_scenario(
    storage: Storage,
    runner: JobRunner,
    settings: Settings,
    principal: Principal,
    scenario: Scenario,
    idempotency_key: str | None,
) -> JobRecord:
    """Validate, store and enqueue a scenario.

    Raises
    ------
    InputError
        As :func:`validate_scenario`, or when an idempotency key is reused for a different request.
    """
    digest, params = validate_scenario(scenario, settings)
    record, created = storage.create_job(
        principal,
        request_json=scenario.model_dump_json(),
        inputs_digest=digest,
        params_json=params.model_dump_json(),
        solver_version=SOLVER_VERSION,
        idempotency_key=idempotency_key,
        kind="scenario",
    )
    ensure_same_request(record, created, digest)
    if created:
        runner.enqueue(record.job_id)
    return record


# ---- results -----------------------------------------------------------------------------------------------


def stored_results(storage: Storage, job: JobRecord) -> tuple[ScenarioResults, str] | None:
    """Return a finished scenario job's results and its ``results.csv`` text, or ``None`` without them."""
    text = storage.result_json(job.job_id) if job.has_result else None
    if text is None:
        return None
    document = json.loads(text)
    return ScenarioResults.model_validate(document["results"]), str(document["results_csv"])


# ---- the worker process ------------------------------------------------------------------------------------


def run_scenario_job(storage: Storage, record: JobRecord) -> None:
    """Run a claimed scenario job's runs in this process and store the results (work of ``kind="scenario"``).

    A cancel ends the worker (``run_scenario`` has no stop hook), leaving the job cancelled without results.
    """
    request_json = storage.request_json(record.job_id)
    if request_json is None:
        return
    params = ScenarioJobParams.model_validate_json(record.params_json)
    try:
        scenario, _ = capped_scenario(
            Scenario.model_validate_json(request_json), params.run_time_limit_s, threads=params.run_threads
        )
        with watch_for_stop(storage, record.job_id, abandon_on_stop(storage, record.job_id)):
            result = run_scenario(scenario, bundled_dir(), backend="local", jobs=1, progress=False)
    except (ShiftmixError, ForecastingError) as exc:
        storage.finish(record.job_id, "failed", result_json=None, error=f"invalid input: {exc}")
        return
    frame = results_frame(result)
    results = ScenarioResults(
        title=scenario.title,
        runs=json.loads(frame.to_json(orient="records")),
        headcount_optimum=scenario_headcount_optimum(result),
        forecasts_fitted=result.forecasts_fitted,
        wall_time_s=round(result.wall_time_s, 2),
    )
    document = {"results": results.model_dump(mode="json"), "results_csv": frame.to_csv(index=False)}
    storage.finish(record.job_id, "succeeded", result_json=json.dumps(document))
