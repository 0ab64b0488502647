"""Versions of a published plan made by accepted change requests (swaps, time off), with who, when and what.

Version 1 is the schedule job's own plan (the ``jobs`` row); each accepted change adds the next version,
holding the changed plan and problem, the change, the caller (organisation, API key, the person named in the
request) and the time. ``(job_id, version)`` is unique, so two changes racing from the same version cannot
both land: the second gets :class:`StaleVersion`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from api.tables import Principal

FIRST_VERSION = 1
"""The version of a schedule job's solved plan, before any change."""


class StaleVersion(Exception):
    """The plan has moved past the version a change was checked against; ``current`` is the latest."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the plan is now at version {current}")
        self.current = current


@dataclasses.dataclass(frozen=True, slots=True)
class PlanVersion:
    """One changed version of a plan (version >= 2)."""

    job_id: str
    version: int
    at: dt.datetime
    org_id: int
    api_key_id: int | None
    requested_by: str | None
    change_json: str
    plan_json: str
    problem_json: str


def define_plan_versions(metadata: sa.MetaData, jobs: sa.Table) -> sa.Table:
    """Define the ``plan_versions`` table on the job store's metadata; a deleted job takes its versions along."""
    return sa.Table(
        "plan_versions",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey(jobs.c.id, ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Integer, nullable=False),
        sa.Column("api_key_id", sa.Integer),
        sa.Column("requested_by", sa.String(128)),
        sa.Column("change_json", sa.Text, nullable=False),
        sa.Column("plan_json", sa.Text, nullable=False),
        sa.Column("problem_json", sa.Text, nullable=False),
        sa.UniqueConstraint("job_id", "version", name="uq_plan_versions_job_version"),
    )


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class PlanVersions:
    """The store of plan versions, sharing the job store's engine."""

    def __init__(self, engine: Engine, table: sa.Table) -> None:
        self._engine = engine
        self._table = table

    def _version(self, row: Any) -> PlanVersion:
        m = row._mapping
        return PlanVersion(
            job_id=m["job_id"],
            version=m["version"],
            at=_aware(m["at"]),
            org_id=m["org_id"],
            api_key_id=m["api_key_id"],
            requested_by=m["requested_by"],
            change_json=m["change_json"],
            plan_json=m["plan_json"],
            problem_json=m["problem_json"],
        )

    def latest(self, job_id: str) -> PlanVersion | None:
        """Return a job's latest changed version, or None while it has only its solved plan."""
        t = self._table.c
        query = sa.select(self._table).where(t.job_id == job_id).order_by(t.version.desc()).limit(1)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else self._version(row)

    def history(self, job_id: str) -> list[PlanVersion]:
        """Return a job's changed versions, oldest first."""
        t = self._table.c
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(self._table).where(t.job_id == job_id).order_by(t.version)).all()
        return [self._version(r) for r in rows]

    def add(
        self,
        job_id: str,
        after: int,
        principal: Principal,
        *,
        requested_by: str | None,
        change_json: str,
        plan_json: str,
        problem_json: str,
    ) -> PlanVersion:
        """Store the version after ``after``; raise :class:`StaleVersion` when another change got there first."""
        version = PlanVersion(
            job_id=job_id,
            version=after + 1,
            at=dt.datetime.now(dt.UTC),
            org_id=principal.org_id,
            api_key_id=principal.api_key_id,
            requested_by=requested_by,
            change_json=change_json,
            plan_json=plan_json,
            problem_json=problem_json,
        )
        latest = self.latest(job_id)
        current = latest.version if latest is not None else FIRST_VERSION
        if current != after:
            raise StaleVersion(current)
        try:
            with self._engine.begin() as conn:
                conn.execute(self._table.insert().values(**dataclasses.asdict(version)))
        except IntegrityError:
            latest = self.latest(job_id)
            raise StaleVersion(latest.version if latest is not None else FIRST_VERSION) from None
        return version
