"""The portals: server-rendered pages for people, served by the gateway over the API's own code paths."""
