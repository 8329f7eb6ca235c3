"""安置: reporting in, placement cases, post quotas and placement rates (docs/placement.md)."""
