"""Last-mile route planning on top of PyVRP.

An immutable :class:`RoutingProblem` (one depot, vehicles, stops, a distance
matrix and a duration matrix) goes into :func:`solve`, which returns a frozen
:class:`RoutingResult`. :func:`replan` re-plans a day under way: stops already
served are dropped, committed stops keep their vehicle and order, and the rest
(plus new orders) is solved again from each vehicle's current position and time.

Units are integers chosen by the caller, the same throughout a problem: metres
and seconds (since midnight) with the providers of :mod:`maillon.delivery.travel`.
The matrices are indexed by *location*: the depot, the stops and the vehicles'
start/end points each name a row, several may share one, and rows nobody uses
are allowed (handy to keep one matrix for a whole day of re-planning).

Every validation error is a ``ValueError`` raised by a constructor or by
:func:`replan`; solving never raises for an infeasible problem: the result says
``feasible=False`` and lists the stops it could not serve.

One concept per module: ``problem`` (the problem's values and the result),
``solver`` (the translation to PyVRP and :func:`solve`) and ``replanning``
(:class:`VehicleState` and :func:`replan`).
"""

from __future__ import annotations

from maillon.delivery.routing.problem import (
    Depot,
    RoutingProblem,
    RoutingResult,
    Stop,
    Vehicle,
    VehicleRoute,
    Visit,
)
from maillon.delivery.routing.replanning import VehicleState, replan
from maillon.delivery.routing.solver import solve

__all__ = [
    "Depot",
    "RoutingProblem",
    "RoutingResult",
    "Stop",
    "Vehicle",
    "VehicleRoute",
    "VehicleState",
    "Visit",
    "replan",
    "solve",
]
