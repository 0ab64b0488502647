"""Scenario files: one base plan and named what-if variations of it (YAML, pydantic-validated).

A scenario names its base (an inline ``PlanConfig`` under ``base:``, or ``base_config: example.yaml``
relative to the scenario file, or ``base_config: bundled:example.yaml``), optional ``base_overrides``
deep-merged into it, and ``variations``: each applies deltas to the base. ``sweep`` is a grid shorthand
that generates one variation per combination of values (``sweep: {fte_scale: [0.6, 0.8, 1.0]}``).

Variation deltas never redeclare domain fields: ``automation``, ``service_target``, ``gig_pool``, ``forecast``
and ``solve`` are *patches* (partial mappings) merged into the base's settings and re-validated through
``PlanConfig.model_validate`` (``scenarios.derive``), so every domain rule still applies; errors name the
field as ``variations[2].automation.containment``.

Bot automation and the history
------------------------------
The history counts only the contacts that reached people, under the bot automation in effect when it was
recorded. ``baseline_automation`` states that automation. When set, the forecast is grossed up to *all*
contacts, ``volume / (1 - containment_0)`` and ``aht_s / (1 + escalated_aht_uplift_0)``, the base plans at
the baseline automation, and a variation's ``automation`` is the automation of the planned horizon. The human
volume of a variation with containment ``c`` is therefore ``forecast x (1 - c) / (1 - containment_0)``:
containment falling from 0.66 to 0.50 multiplies the human demand by 0.50 / 0.34 = 1.47.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from optimizer.domain import Automation, Contract, GigPool, ServiceTarget, SolveParams
from optimizer.errors import InputError
from scenarios.spec import ForecastSettings, PlanConfig, StaffGroup

BASE_NAME = "base"
"""Name of the base run in every scenario result."""

MAX_RUNS = 60
"""Most plans one scenario may ask for (base included)."""

Patch = dict[str, Any]

PATCH_TARGETS: dict[str, type[BaseModel]] = {
    "automation": Automation,
    "service_target": ServiceTarget,
    "gig_pool": GigPool,
    "forecast": ForecastSettings,
    "solve": SolveParams,
}
"""Variation fields that patch a domain type of the base, and that type (whose keys they may use)."""


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class DemandUplift(_Spec):
    """A multiplier on the forecast volume, optionally only on some local days and times of day."""

    factor: float = Field(gt=0.0, le=10.0, description="Multiplier of the forecast volume (1.3 = +30%).")
    dates: tuple[dt.date, ...] = Field((), description="Local days it applies to; empty for every day.")
    start_time: dt.time | None = Field(
        None, description="Local time of day it starts (inclusive); null 00:00."
    )
    end_time: dt.time | None = Field(None, description="Local time of day it ends (exclusive); null 24:00.")

    @model_validator(mode="after")
    def _window_ordered(self) -> Self:
        if self.start_time is not None and self.end_time is not None and self.end_time <= self.start_time:
            msg = "end_time must be after start_time"
            raise ValueError(msg)
        return self

    def describe(self) -> str:
        """Return a short text such as ``x1.3 on 2026-12-28,2026-12-29 08:00-12:00``."""
        out = f"x{self.factor:g}"
        if self.dates:
            out += " on " + ",".join(d.isoformat() for d in self.dates)
        if self.start_time is not None or self.end_time is not None:
            lo = self.start_time.strftime("%H:%M") if self.start_time else "00:00"
            hi = self.end_time.strftime("%H:%M") if self.end_time else "24:00"
            out += f" {lo}-{hi}"
        return out


class Variation(_Spec):
    """One what-if: deltas applied to the base plan config, in the order the fields are listed."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.=,+\-]{0,79}$", description="Name and folder name.")
    description: str = Field("", description="What the variation asks, for people.")
    staff: tuple[StaffGroup, ...] | None = Field(None, description="Replace the counted staff groups (mix).")
    contracts: tuple[Contract, ...] = Field((), description="Add contracts, or replace those of that name.")
    staff_counts: dict[str, int] = Field(
        default_factory=dict, description="Set the count of staff groups by id_prefix; 0 drops the group."
    )
    fte_scale: float | None = Field(
        None, gt=0.0, le=10.0, description="Scale every counted staff group (rounded half up; 0.6 = -40%)."
    )
    gig_pool: Patch | None = Field(None, description="Patch of the gig pool (e.g. max_concurrent).")
    automation: Patch | None = Field(None, description="Patch of the horizon's bot automation.")
    service_target: Patch | None = Field(None, description="Patch of the service target.")
    forecast: Patch | None = Field(None, description="Patch of the forecast settings (country: holidays).")
    solve: Patch | None = Field(None, description="Patch of the solver parameters.")
    demand_uplift: tuple[DemandUplift, ...] = Field(
        (), description="Volume multipliers; a bare number means every interval. Overlaps multiply."
    )

    @field_validator("demand_uplift", mode="before")
    @classmethod
    def _uplift_shorthand(cls, v: object) -> object:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return ({"factor": v},)
        return (v,) if isinstance(v, Mapping) else v

    @field_validator("staff_counts")
    @classmethod
    def _counts_non_negative(cls, v: dict[str, int]) -> dict[str, int]:
        bad = sorted(k for k, n in v.items() if n < 0)
        if bad:
            msg = f"counts must be >= 0 (group {bad[0]!r})"
            raise ValueError(msg)
        return v

    @field_validator(*PATCH_TARGETS)
    @classmethod
    def _patch_keys_known(cls, v: Patch | None, info: ValidationInfo) -> Patch | None:
        if v is not None:
            _check_keys(v, PATCH_TARGETS[str(info.field_name)])
        return v


class Scenario(_Spec):
    """A base plan and its what-if variations; the base always runs too, named ``base``."""

    title: str = Field(description="One-line title of the question the scenario answers.")
    description: str = Field("", description="The story behind it, for people.")
    base: PlanConfig | None = Field(None, description="Inline base config (history relative to this file).")
    base_config: str | None = Field(
        None, description="Base config file, relative to this file, or 'bundled:NAME' for a bundled one."
    )
    base_overrides: Patch = Field(default_factory=dict, description="Deep-merged into the base config.")
    baseline_automation: Automation | None = Field(
        None, description="Bot automation when the history was recorded; null: the history had none."
    )
    variations: tuple[Variation, ...] = Field((), description="Named what-ifs.")
    sweep: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="Grid: variation field (dotted into patches) -> values; one variation per combination.",
    )

    @field_validator("base_overrides")
    @classmethod
    def _override_keys_known(cls, v: Patch) -> Patch:
        _check_keys(v, PlanConfig)
        return v

    @field_validator("sweep")
    @classmethod
    def _sweep_keys_known(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in v.items():
            head, _, rest = key.partition(".")
            if head not in Variation.model_fields or head in ("name", "description"):
                msg = f"{key!r}: sweep keys must be variation fields, not {head!r}"
                raise ValueError(msg)
            if rest and head not in PATCH_TARGETS:
                msg = f"{key!r}: only {', '.join(PATCH_TARGETS)} take dotted keys"
                raise ValueError(msg)
            if not values:
                msg = f"{key!r} needs at least one value"
                raise ValueError(msg)
        return v

    @model_validator(mode="after")
    def _one_base(self) -> Self:
        if (self.base is None) == (self.base_config is None):
            msg = "give exactly one of base (inline config) and base_config (a file)"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _asks_something(self) -> Self:
        if not self.variations and not self.sweep:
            msg = "give at least one variation or a sweep"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _names_unique(self) -> Self:
        seen = {BASE_NAME}
        for i, v in enumerate(self.variations):
            if v.name in seen:
                msg = f"variations[{i}].name {v.name!r} is taken (names must be unique and not {BASE_NAME!r})"
                raise ValueError(msg)
            seen.add(v.name)
        return self

    def all_variations(self) -> tuple[Variation, ...]:
        """Return the listed variations followed by those the sweep generates.

        Raises
        ------
        InputError
            When a sweep value breaks a variation rule (field ``sweep.KEY``), or there are too many runs.
        """
        keys = list(self.sweep)
        out = list(self.variations)
        # single-valued keys are shared settings of the grid, so they stay out of the generated names
        named = [k for k in keys if len(self.sweep[k]) > 1] or keys
        for combo in itertools.product(*(self.sweep[k] for k in keys)) if keys else ():
            data: Patch = {
                "name": ",".join(f"{k}={_label(x)}" for k, x in zip(keys, combo, strict=True) if k in named)
            }
            for key, value in zip(keys, combo, strict=True):
                head, _, rest = key.partition(".")
                data[head] = deep_merge(data.get(head, {}), {rest: value}) if rest else value
            try:
                out.append(Variation.model_validate(data))
            except ValidationError as exc:
                first = exc.errors()[0]
                head = str(first["loc"][0]) if first["loc"] else ""
                key = next((k for k in keys if k.partition(".")[0] == head), keys[0])
                field = f"sweep.{key}[{self.sweep[key].index(combo[keys.index(key)])}]"
                raise InputError.single(field, str(first["msg"]).removeprefix("Value error, ")) from None
        field = "sweep"
        if len(out) + 1 > MAX_RUNS:
            raise InputError.single(field, f"{len(out) + 1} runs asked; at most {MAX_RUNS} are allowed")
        names = [v.name for v in out]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate is not None:
            raise InputError.single(field, f"generates the name {duplicate!r} twice (rename the variation)")
        return tuple(out)


def _check_keys(patch: Mapping[str, Any], target: type[BaseModel]) -> None:
    unknown = sorted(set(patch) - set(target.model_fields))
    if unknown:
        msg = f"unknown field {unknown[0]!r} (one of: {', '.join(target.model_fields)})"
        raise ValueError(msg)


def _label(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def deep_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> Patch:
    """Return ``base`` with ``patch`` merged in: mappings merge recursively, other values (lists) replace.

    A dotted key ``"a.b"`` in ``patch`` means ``{"a": {"b": ...}}``.
    """
    out = dict(base)
    for key, value in patch.items():
        head, dot, rest = key.partition(".")
        if dot:
            value, key = {rest: value}, head
        old = out.get(key)
        both = isinstance(old, Mapping) and isinstance(value, Mapping)
        out[key] = deep_merge(old, value) if both else value  # type: ignore[arg-type]
    return out


__all__ = [
    "BASE_NAME",
    "MAX_RUNS",
    "PATCH_TARGETS",
    "DemandUplift",
    "Patch",
    "Scenario",
    "Variation",
    "deep_merge",
]
