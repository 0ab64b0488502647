"""Plan configuration files: the base input of a plan or a scenario (YAML or JSON, pydantic-validated).

A config names a history file (or a given demand file, in the forecast CSV format) relative to the config
file, how to treat gaps in the history, the horizon, how to forecast, the service
target, the bot's automation, contracts, staff (explicit workers and/or counted groups), the gig pool and
the solver parameters. Every field is a domain type from ``optimizer.domain``, so errors name the same
fields as the API does.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import Field, field_validator, model_validator

import forecasting
from forecasting import ForecasterName
from optimizer.domain import (
    PREFERENCE_PER_HOUR_CENTS,
    Automation,
    Availability,
    Contract,
    DomainType,
    GigPool,
    Preference,
    Queue,
    ServiceTarget,
    SolveParams,
    Worker,
    Workforce,
    check_disjoint,
)
from optimizer.errors import InputError

EXAMPLE_CONFIG = "example.yaml"
"""The bundled example that ``shiftmix plan --example`` runs."""


class StaffGroup(DomainType):
    """A number of FTEs on one contract, with generated ids ``{id_prefix}-001`` …."""

    contract: str = Field(description="Contract name.")
    count: int = Field(ge=1, le=10_000, description="Number of workers.")
    id_prefix: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,40}$", description="Prefix of generated ids.")
    availability: tuple[Availability, ...] = Field(
        (), description="Weekly windows the whole group can work in (local time); empty: whenever the contract allows."
    )
    skills: tuple[str, ...] | None = Field(
        None, description="Queues (names in `queues`) the group may work; null: the contract's skills."
    )
    primary_skills: tuple[str, ...] | None = Field(
        None, description="Queues among the group's skills it serves first; null: the contract's primary skills."
    )

    @model_validator(mode="after")
    def _availability_disjoint(self) -> Self:
        check_disjoint(self.availability)
        return self


WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ForecastSettings(DomainType):
    """How the demand of the horizon is forecast from history."""

    model: ForecasterName = Field("auto", description="Forecaster; 'auto' picks the best by rolling-origin backtest.")
    country: str | None = Field(
        forecasting.DEFAULT_COUNTRY, description="ISO country code for public holidays; null for none."
    )
    quantile: float | None = Field(
        None,
        gt=0.0,
        lt=1.0,
        description="Staff to this volume quantile (e.g. 0.8) instead of the point forecast.",
    )
    backtest_folds: int = Field(
        forecasting.AUTO_FOLDS,
        ge=1,
        le=26,
        description="Weeks of rolling-origin backtest for 'auto': the choice, the forecast-error CVs and the level "
        "correction are measured on them.",
    )
    bias_correction: bool = Field(
        True,
        description="With 'auto', scale the forecast by the level correction its backtest measured (the chosen "
        "forecaster's mean miss of its folds' totals, shrunk by their scatter); false: the raw forecast. Compare "
        "both on your history: shiftmix backtest --staffing [--no-bias-correction].",
    )
    aht_s: float | None = Field(
        None,
        gt=0.0,
        le=86_400.0,
        description="Average handle time [s] assumed where the history has none (a volume-only history).",
    )
    weekend: tuple[WeekdayName, ...] | None = Field(
        None,
        description="Weekend days, e.g. [fri, sat]; null: the country's weekend from the holidays package.",
    )
    max_history_rows: int = Field(
        forecasting.MAX_HISTORY_ROWS, ge=2, description="Most history rows read; a longer history is an error."
    )

    def weekend_numbers(self) -> tuple[int, ...] | None:
        """Return the weekend override as weekday numbers (Monday = 0), or None for the country's."""
        if self.weekend is None:
            return None
        return tuple(sorted({WEEKDAYS.index(d) for d in self.weekend}))

    @field_validator("country")
    @classmethod
    def _known_country(cls, country: str | None) -> str | None:
        try:
            return forecasting.check_country(country)
        except forecasting.ForecastInputError as exc:
            raise ValueError(exc.problem) from None


class PlanConfig(DomainType):
    """Everything ``shiftmix plan --config`` needs."""

    history: str | None = Field(
        None, description="History CSV (interval_start,volume[,aht_s]); relative to the config file."
    )
    gaps: Literal["error", "zero", "seasonal"] = Field(
        "error",
        description="Missing history intervals: 'error' reports them, 'zero' fills volume 0 (site closed), "
        "'seasonal' repeats the same weekday and time of the nearest week (data missing).",
    )
    demand: str | None = Field(
        None,
        description="A given demand CSV (forecast format interval_start,volume,aht_s) to plan instead of "
        "forecasting the history; relative to the config file.",
    )
    timezone: str = Field("Europe/Stockholm", description="IANA time zone of the site.")
    start_date: dt.date | None = Field(
        None, description="First local day to plan; null plans from the day after the history ends."
    )
    days: int = Field(7, ge=1, le=35, description="Local days to plan.")
    currency: str = Field(
        "SEK",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of every amount; amounts are in its minor unit (cents, öre) throughout.",
    )
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    service_target: ServiceTarget = Field(default_factory=ServiceTarget)
    automation: Automation = Field(default_factory=Automation)
    queues: tuple[Queue, ...] = Field(
        (),
        description=(
            "Several queues (voice, chat, e-mail) planned together; the history or demand file then has a "
            "`queue` column. Empty: one queue."
        ),
    )
    contracts: tuple[Contract, ...] = Field(min_length=1)
    staff: tuple[StaffGroup, ...] = Field((), description="Counted groups of FTEs.")
    workers: tuple[Worker, ...] = Field((), description="Individually listed FTEs (time off, pseudonymous ids).")
    gig_pool: GigPool | None = None
    preferences: tuple[Preference, ...] = Field(
        (), description="Workers' priced wishes to work, or not, in windows of local time (weekly or dated)."
    )
    preference_per_hour_cents: int = Field(
        PREFERENCE_PER_HOUR_CENTS,
        ge=0,
        description="Price of one unmet preference-hour at weight 1 [cents/h], unless the contract sets its own.",
    )
    headcount: Literal["fixed", "optimise"] = Field(
        "fixed", description="'optimise' (HR mode): staff are candidates; the plan employs the cost-optimal number."
    )
    solve: SolveParams = Field(default_factory=SolveParams)

    @model_validator(mode="after")
    def _history_or_demand(self) -> Self:
        if self.history is None and self.demand is None:
            msg = "give history (to forecast) or demand (a forecast CSV to plan as given)"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _groups_know_contracts(self) -> Self:
        names = {c.name for c in self.contracts}
        for i, g in enumerate(self.staff):
            if g.contract not in names:
                msg = f"staff[{i}].contract {g.contract!r} is not one of the contracts ({', '.join(sorted(names))})"
                raise ValueError(msg)
        return self

    def workforce(self) -> Workforce:
        """Return the workforce with counted groups expanded into workers."""
        workers = list(self.workers)
        for g in self.staff:
            workers.extend(
                Worker(
                    worker_id=wid,
                    contract=g.contract,
                    availability=g.availability,
                    skills=g.skills,
                    primary_skills=g.primary_skills,
                )
                for wid in group_worker_ids(g.id_prefix, g.count)
            )
        return Workforce(
            contracts=self.contracts,
            workers=tuple(workers),
            gig_pool=self.gig_pool,
            preferences=self.preferences,
            preference_per_hour_cents=self.preference_per_hour_cents,
        )


def group_worker_ids(id_prefix: str, count: int) -> list[str]:
    """Return the worker ids of a counted staff group: ``ft-001`` .. (at least three digits)."""
    width = max(3, len(str(count)))
    return [f"{id_prefix}-{n:0{width}d}" for n in range(1, count + 1)]


def read_text_input(path: Path, field: str) -> str:
    """Return a UTF-8 text file's content.

    Raises
    ------
    InputError
        Naming ``field`` when the file is missing, a folder, unreadable or not UTF-8 text.
    """
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.single(field, f"file {path} does not exist") from None
    except IsADirectoryError:
        raise InputError.single(field, f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise InputError.single(field, f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputError.single(field, f"{path} is not UTF-8 text (bad byte at offset {exc.start})") from None


def _parse(text: str, path: Path) -> object:
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        problem = f"{path} is not valid {path.suffix[1:].upper() or 'YAML'}{where}"
        raise InputError.single("config", problem) from exc


def load_plan_config(path: str | Path) -> tuple[PlanConfig, Path]:
    """Read and validate a plan config; return it with the folder its relative paths start from.

    Raises
    ------
    InputError
        When the file is missing or unreadable, not YAML/JSON, or not a mapping.
    pydantic.ValidationError
        When a field breaks a rule (the error names the field).
    """
    path = Path(path)
    data = _parse(read_text_input(path, "config"), path)
    if not isinstance(data, dict):
        problem = f"{path} must hold a mapping of settings, not {type(data).__name__}"
        raise InputError.single("config", problem)
    return PlanConfig.model_validate(data), path.parent


def example_config_path() -> Path:
    """Return the path of the bundled example config."""
    return Path(str(resources.files("scenarios.bundled").joinpath(EXAMPLE_CONFIG)))


def load_example() -> tuple[PlanConfig, Path]:
    """Load the bundled example config."""
    return load_plan_config(example_config_path())


__all__ = [
    "EXAMPLE_CONFIG",
    "ForecastSettings",
    "PlanConfig",
    "StaffGroup",
    "example_config_path",
    "load_example",
    "load_plan_config",
]
