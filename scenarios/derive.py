"""Turn a scenario into the validated plan config of every run, and say what each run changes.

Each variation's deltas are applied to the base config's data in a fixed order (``staff`` replacement,
``contracts``, ``staff_counts``, ``fte_scale``, then the patches) and the result is re-validated through
``PlanConfig.model_validate``, so domain rules apply to derived configs exactly as to hand-written ones.
Errors are ``InputError``s whose field names the variation: ``variations[2].automation.containment``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from optimizer.demand import DemandUplift
from optimizer.domain import Automation
from optimizer.errors import InputError, Issue
from scenarios.scenario import BASE_NAME, PATCH_TARGETS, Patch, Scenario, Variation, deep_merge
from scenarios.spec import PlanConfig, group_worker_ids, load_plan_config, read_text_input

BUNDLED_PREFIX = "bundled:"
"""Prefix of a ``base_config`` that names a file shipped in ``scenarios/bundled``."""


@dataclass(frozen=True, slots=True)
class DerivedPlan:
    """One run of a scenario: its plan config and what it changed versus the base.

    ``demand_uplift`` and ``baseline_automation`` act on the forecast (they are not plan config settings).
    """

    name: str
    config: PlanConfig
    demand_uplift: tuple[DemandUplift, ...]
    baseline_automation: Automation | None
    differs: str
    service_level_of_base: bool = False
    """Plan to the base plan's realised service level (set once the base has solved)."""


@dataclass(frozen=True, slots=True)
class PreparedScenario:
    """A validated scenario: the resolved base, the folder its history path starts from, and every run."""

    scenario: Scenario
    base_dir: Path
    runs: tuple[DerivedPlan, ...]


def _validation_issues(exc: ValidationError, prefix: str) -> list[Issue]:
    issues = []
    for err in exc.errors(include_url=False):
        path = prefix
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        issues.append(Issue(path, str(err["msg"]).removeprefix("Value error, ")))
    return issues


def _validate_config(data: Patch, prefix: str) -> PlanConfig:
    try:
        return PlanConfig.model_validate(data)
    except ValidationError as exc:
        raise InputError(_validation_issues(exc, prefix)) from None


def _scaled(count: int, factor: float) -> int:
    return int(count * factor + 0.5)


def _apply(base: Patch, v: Variation) -> Patch:
    """Return the base config's data with a variation's deltas applied (not yet validated)."""
    data = dict(base)
    if v.staff is not None:
        data["staff"] = [g.model_dump(mode="json") for g in v.staff]
    if v.contracts:
        replaced = {c.name: c.model_dump(mode="json") for c in v.contracts}
        kept = [c for c in data["contracts"] if c["name"] not in replaced]
        data["contracts"] = kept + list(replaced.values())
    groups = [dict(g) for g in data["staff"]]
    for prefix, count in v.staff_counts.items():
        group = next((g for g in groups if g["id_prefix"] == prefix), None)
        if group is None:
            field = f"staff_counts.{prefix}"
            known = ", ".join(g["id_prefix"] for g in groups)
            msg = f"no staff group has id_prefix {prefix!r} (groups: {known})"
            raise InputError.single(field, msg)
        group["count"] = count
    if v.fte_scale is not None:
        for g in groups:
            g["count"] = _scaled(g["count"], v.fte_scale)
    data["staff"] = [g for g in groups if g["count"] > 0]
    if v.staff is not None or v.staff_counts or v.fte_scale is not None:
        data = _without_leavers(data)
    for field in PATCH_TARGETS:
        patch = getattr(v, field)
        if patch is not None:
            data[field] = deep_merge(data.get(field) or {}, patch)
    return data


def _without_leavers(data: Patch) -> Patch:
    """Return config data without the preferences of workers its staff no longer has.

    A what-if that reshapes the staff (a replaced mix, a count, a scale) takes the wishes of the people it
    removes with them; a config that names an unknown worker itself is still refused.
    """
    ids = {w["worker_id"] for w in data.get("workers") or ()}
    for g in data.get("staff") or ():
        ids.update(group_worker_ids(g["id_prefix"], g["count"]))
    kept = [p for p in data.get("preferences") or () if p["worker_id"] in ids]
    return {**data, "preferences": kept}


def _flatten(value: object, path: str = "") -> dict[str, object]:
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for k, x in value.items():
            out.update(_flatten(x, f"{path}.{k}" if path else str(k)))
        return out
    if isinstance(value, list | tuple) and value and all(isinstance(x, Mapping) for x in value):
        keyed = {str(x.get("id_prefix") or x.get("name") or i): x for i, x in enumerate(value)}
        return {k: x for name, item in keyed.items() for k, x in _flatten(item, f"{path}[{name}]").items()}
    return {path: value}


def describe_differences(base: PlanConfig, other: PlanConfig, uplift: tuple[DemandUplift, ...] = ()) -> str:
    """Return what ``other`` changes versus ``base``.

    For example ``gig_pool.max_concurrent 20->40; staff[ft].count 36->22; demand x1.3``. List items are
    matched by ``id_prefix`` or ``name``; ``-`` marks a setting one side lacks.
    """
    a, b = _flatten(base.model_dump(mode="json")), _flatten(other.model_dump(mode="json"))
    parts = [f"{k} {a.get(k, '-')}->{b.get(k, '-')}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    parts.extend(f"demand {u.describe()}" for u in uplift)
    return "; ".join(parts) or "(nothing: same as base)"


def _load_mapping(path: Path) -> Patch:
    field = "scenario"
    text = read_text_input(path, field)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError.single(field, f"{path} is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise InputError.single(field, f"{path} must hold a mapping of settings, not {type(data).__name__}")
    return data


def _resolve_base(scenario: Scenario, scenario_dir: Path) -> tuple[PlanConfig, Path]:
    if scenario.base is not None:
        return scenario.base, scenario_dir
    name = str(scenario.base_config)
    if name.startswith(BUNDLED_PREFIX):
        path = Path(str(resources.files("scenarios.bundled").joinpath(name.removeprefix(BUNDLED_PREFIX))))
    else:
        path = Path(name) if Path(name).is_absolute() else scenario_dir / name
    if not path.is_file():
        field = "base_config"
        raise InputError.single(field, f"file {path} does not exist")
    try:
        return load_plan_config(path)
    except ValidationError as exc:
        raise InputError(_validation_issues(exc, f"base_config({path.name})")) from None


def _base_automation(base: PlanConfig, baseline: Automation | None) -> Automation:
    if baseline is None or base.automation in (Automation.model_validate({}), baseline):
        return baseline or base.automation
    msg = (
        "must be the default (no bot) or equal baseline_automation: with a baseline, the base plans at it "
        "and variations set the horizon's automation"
    )
    field = "base.automation"
    raise InputError.single(field, msg)


def prepare_scenario(scenario: Scenario, scenario_dir: Path) -> PreparedScenario:
    """Resolve the base and derive the validated plan config of every run (the base first).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    scenario_dir : Path
        Folder of the scenario file; relative ``base_config`` and inline history paths start here.

    Raises
    ------
    InputError
        When the base file is missing or invalid, or a variation breaks a rule; the field is named as
        ``variations[2].automation.containment`` (or ``sweep.KEY``, ``base_overrides.FIELD``).
    """
    base, base_dir = _resolve_base(scenario, scenario_dir)
    merged = deep_merge(base.model_dump(mode="json"), scenario.base_overrides)
    if {"staff", "workers"} & scenario.base_overrides.keys() and "preferences" not in scenario.base_overrides:
        merged = _without_leavers(merged)
    base = _validate_config(merged, "base_overrides")
    base = base.model_copy(update={"automation": _base_automation(base, scenario.baseline_automation)})
    runs = [DerivedPlan(BASE_NAME, base, (), scenario.baseline_automation, "(base)")]
    base_data = base.model_dump(mode="json")
    listed = len(scenario.variations)
    for i, v in enumerate(scenario.all_variations()):
        prefix = f"variations[{i}]" if i < listed else f"sweep[{v.name}]"
        try:
            config = _validate_config(_apply(base_data, v), prefix)
        except InputError as exc:
            if exc.field.startswith(prefix):
                raise
            field = f"{prefix}.{exc.field}"
            raise InputError.single(field, exc.problem) from None
        differs = describe_differences(base, config, v.demand_uplift)
        if v.service_level_of_base:
            differs += ("; " if differs else "") + "service level: the base plan's realised level"
        runs.append(
            DerivedPlan(
                v.name, config, v.demand_uplift, scenario.baseline_automation, differs, v.service_level_of_base
            )
        )
    return PreparedScenario(scenario=scenario, base_dir=base_dir, runs=tuple(runs))


def load_scenario(path: str | Path) -> tuple[Scenario, Path]:
    """Read and validate a scenario file; return it with its folder.

    Raises
    ------
    InputError
        When the file is missing, not YAML, or not a mapping.
    pydantic.ValidationError
        When a field breaks a rule (the error names the field).
    """
    path = Path(path)
    return Scenario.model_validate(_load_mapping(path)), path.parent


def bundled_scenario_path(name: str) -> Path:
    """Return the path of a bundled scenario file such as ``headcount-cut.yaml``."""
    return Path(str(resources.files("scenarios.bundled").joinpath(name)))


__all__ = [
    "BUNDLED_PREFIX",
    "DerivedPlan",
    "PreparedScenario",
    "bundled_scenario_path",
    "describe_differences",
    "load_scenario",
    "prepare_scenario",
]
