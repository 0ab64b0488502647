"""Checkpoints: the best solution of a running schedule job, kept in storage so a restart resumes from it.

A server that dies (``kill -9``, a crash, a host restart) takes its workers with it; at its next start the
jobs they were running are queued again (:meth:`api.jobs.JobRunner.start`). Without a checkpoint the re-run
starts from nothing and the minutes already solved are lost. So while a schedule job runs, its progress writes
(:class:`api.jobs.ProgressWriter`) also store, at most every ``CHECKPOINT_INTERVAL_S``, the shift decisions of
the improving solution in hand (:attr:`optimizer.model.Progress.read_decisions`, non-zero values by name).
The re-run hands them to ``plan(start=...)``, whose first phase dives around them: it begins at the
checkpoint's objective and searches on from there.

A checkpoint is used only by the software version that wrote it (decision names are the model's, and a new
version may build another model); otherwise the re-run starts afresh. It is cleared when the job ends.

Notes
-----
Reading a solution's decisions costs about a microsecond each (about 50 ms for the 50,000 decisions of a large
week), so only the solutions written are read. An improvement found less than ``CHECKPOINT_INTERVAL_S`` after
the last write, with none after it, is in the progress figures but not in the checkpoint.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from api.storage import JobRecord, Storage
from optimizer.model import software_version

logger = logging.getLogger(__name__)

CHECKPOINT_INTERVAL_S = 2.0
"""Least time between two checkpoint writes of one job [s] (progress figures are written more often)."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """An improving solution of a running job: its objective and its non-zero shift decisions by name."""

    objective_cents: int
    software_version: str
    decisions: dict[str, int]

    def to_json(self) -> str:
        """Return the JSON stored in the job's ``checkpoint_json``."""
        return json.dumps(
            {
                "objective_cents": self.objective_cents,
                "software_version": self.software_version,
                "decisions": self.decisions,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Read a stored checkpoint."""
        data = json.loads(text)
        decisions = {str(name): int(value) for name, value in data["decisions"].items()}
        return cls(int(data["objective_cents"]), str(data["software_version"]), decisions)


def stored_checkpoint(storage: Storage, record: JobRecord) -> Checkpoint | None:
    """Return the checkpoint a job left when its server died, if this software version wrote it; else None."""
    text = storage.checkpoint_json(record.job_id)
    if text is None:
        return None
    checkpoint = Checkpoint.from_json(text)
    if checkpoint.software_version != software_version():
        logger.warning(
            "job %s: its checkpoint was written by shiftmix %s, not %s; solving afresh",
            record.job_id,
            checkpoint.software_version,
            software_version(),
        )
        return None
    return checkpoint
