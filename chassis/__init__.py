"""The event-sourcing chassis every vetlife service stands on: store, relay, inbox, projections, logs."""
import warnings

# eventlet announces its own deprecation on import: filter that one warning, never others.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
