"""Examples for departments that build on vetlife's events."""
