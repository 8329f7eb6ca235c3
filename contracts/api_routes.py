"""Every department service's HTTP operations, gathered for the gateway (one line per service)."""
from __future__ import annotations

from contracts import benefits, bundle, disputes, employment, imports, placement, registry
from contracts.routes import Route

ROUTES: tuple[Route, ...] = (
    *registry.ROUTES,
    *imports.ROUTES,
    *disputes.ROUTES,
    *employment.ROUTES,
    *placement.ROUTES,
    *benefits.ROUTES,
    *bundle.ROUTES,
    # one line per department service: *<service>.ROUTES,
)
