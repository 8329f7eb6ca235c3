"""Fault drills for the bureau's platform: scripted failures under load, each followed by invariant checks."""
