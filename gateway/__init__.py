"""The HTTP edge: portals' and departments' API over the services, and the one-stop bundles."""
