"""The HTTP edge for portals and departments: tokens, access rules, the audit log, the API document."""
import chassis  # noqa: F401  - first, so its warning filter is in place before nameko is imported
