"""Several queues: each channel's own demand, target and bot, and the skills that say who may work it."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from optimizer.domain._base import _Domain
from optimizer.domain.target import Automation, ServiceTarget
from optimizer.domain.workforce import _ID_PATTERN

Channel = Literal["voice", "chat", "email"]

__all__ = ["Channel", "Queue", "check_queue_name"]


def check_queue_name(name: str) -> str:
    """Return ``name`` when it is a valid queue name (the worker-id pattern), else raise ValueError."""
    if not _ID_PATTERN.match(name):
        msg = "must be 1-64 letters, digits, '_', '.', '-' and start with a letter or digit"
        raise ValueError(msg)
    return name


class Queue(_Domain):
    """One queue of contacts: a channel with its own demand rows, service target and bot containment.

    Voice and chat are live queues staffed per interval by Erlang C/A (chat with ``concurrency`` in its
    target); e-mail is a backlog: each contact must be handled within ``window_h`` hours, so e-mail takes
    skilled people whenever the live queues leave them free.
    """

    name: str = Field(description="Queue name; demand rows and skills refer to it.")
    channel: Channel = Field("voice", description="'voice' or 'chat' (live, Erlang per interval) or 'email' (backlog).")
    service_target: ServiceTarget | None = Field(
        None,
        description=(
            "Live queues: this queue's target (chat: set `concurrency`); null: the problem's `service_target`. "
            "E-mail: its shrinkage and max_occupancy set the work one person does."
        ),
    )
    automation: Automation | None = Field(None, description="This queue's bot; null: the problem's `automation`.")
    window_h: float | None = Field(
        None, gt=0.0, le=168.0, description="E-mail: hours within which a contact must be handled (required)."
    )
    share_within: float = Field(
        1.0, gt=0.0, le=1.0, description="E-mail: share of the work that must be done within `window_h`."
    )
    max_age_h: float | None = Field(
        None,
        gt=0.0,
        le=336.0,
        description=(
            "E-mail: a backlog bound (at least `window_h`): by each interval's end, as much work is done as "
            "arrived up to this many hours before; work short of it is priced like e-mail missed from the "
            "share, for every interval it stays short. First come, first served that is every contact handled "
            "within it; in-window first, a contact past its window may wait longer while newer ones are "
            "answered. Null: no bound (work past its window may wait until the horizon's end)."
        ),
    )
    order: Literal["in_window_first", "first_come"] | None = Field(
        None,
        description=(
            "E-mail: the order contacts are worked in. 'first_come' (null means this): the oldest first; "
            "'in_window_first': the oldest e-mail still inside its window first, those past it when none inside "
            "waits (the most done in time for the same people; pair it with `max_age_h`)."
        ),
    )

    @field_validator("name")
    @classmethod
    def _name_format(cls, v: str) -> str:
        return check_queue_name(v)

    @model_validator(mode="after")
    def _window_for_email_only(self) -> Self:
        if self.channel == "email" and self.window_h is None:
            raise ValueError("window_h is required for an email queue (hours within which contacts are handled)")
        if self.channel != "email" and self.window_h is not None:
            raise ValueError(f"window_h applies to email queues only, this one is {self.channel}")
        if self.channel != "email" and self.max_age_h is not None:
            raise ValueError(f"max_age_h applies to email queues only, this one is {self.channel}")
        if self.max_age_h is not None and self.window_h is not None and self.max_age_h < self.window_h:
            raise ValueError(f"max_age_h {self.max_age_h:g} h is shorter than window_h {self.window_h:g} h")
        if self.channel != "email" and self.order is not None:
            raise ValueError(f"order applies to email queues only, this one is {self.channel}")
        return self

    @property
    def email_order(self) -> Literal["in_window_first", "first_come"]:
        """The order an e-mail queue is worked in (:mod:`optimizer.skills`)."""
        return self.order or "first_come"

    @property
    def live(self) -> bool:
        """Whether contacts wait on the line (voice, chat) rather than in a backlog (e-mail)."""
        return self.channel != "email"
