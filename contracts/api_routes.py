"""Every department service's HTTP operations, gathered for the gateway (one line per service)."""
from __future__ import annotations

from contracts import (
    benefits,
    bundle,
    disputes,
    employment,
    imports,
    placement,
    registry,
    stations,
)
from contracts.routes import Route

ROUTES: tuple[Route, ...] = (
    *registry.ROUTES,
    *imports.ROUTES,
    *stations.ROUTES,
    *disputes.ROUTES,
    *employment.ROUTES,
    *placement.ROUTES,
    *benefits.ROUTES,
    *bundle.ROUTES,
    # one line per department service: *<service>.ROUTES,
)
