"""The bundle's pure domain: the catalogue of matters, who they apply to, and the bundle aggregate."""
