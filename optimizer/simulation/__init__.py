"""Discrete-event simulation of a plan's floor: how likely each interval is to keep the plan's promise.

Erlang C/A give the service level of a stationary queue at the forecast volume. Real intervals get a random
number of contacts (Poisson, and a forecast that is itself uncertain), handle times that are not
exponential, and a floor that changes size at interval boundaries. This package replays all of that, many
times, and reports per interval the mean service level, its 10-90 % band, the probability of meeting the
target and the intervals at risk; over the horizon, the service level with a 90 % interval.

Public API: :func:`simulate_plan` (a plan on its problem), :func:`simulate_floor` (any head counts on any
demand frame), :class:`SimulationOptions`, :class:`SimulationResult`, :func:`read_contacts` (a per-contact
CSV to replay). Several queues with skills: :func:`simulate_queue_plan` and :func:`simulate_queue_floor`
(skill groups of agents), :class:`QueueSimulationResult` (one :class:`SimulationResult` per queue).
Pure numpy; queueing maths, so nothing here imports ``scenarios`` or ``api``.
"""

from optimizer.simulation.arrivals import draw_handle_factors
from optimizer.simulation.contacts import (
    CONTACT_COLUMNS,
    ContactRecord,
    contacts_frame,
    read_contacts,
    validate_contacts,
)
from optimizer.simulation.floor import simulate_floor, simulate_plan
from optimizer.simulation.options import SimulationOptions
from optimizer.simulation.queue_result import QUEUE_SIMULATION_COLUMNS, QueueSimulation, QueueSimulationResult
from optimizer.simulation.queues import simulate_queue_floor, simulate_queue_plan
from optimizer.simulation.result import (
    SIMULATION_COLUMNS,
    QueueSimulationSummary,
    SimulationResult,
    SimulationSummary,
)

__all__ = [
    "CONTACT_COLUMNS",
    "QUEUE_SIMULATION_COLUMNS",
    "ContactRecord",
    "QueueSimulation",
    "QueueSimulationResult",
    "QueueSimulationSummary",
    "SIMULATION_COLUMNS",
    "SimulationOptions",
    "SimulationResult",
    "SimulationSummary",
    "contacts_frame",
    "draw_handle_factors",
    "read_contacts",
    "simulate_floor",
    "simulate_plan",
    "simulate_queue_floor",
    "simulate_queue_plan",
    "validate_contacts",
]
