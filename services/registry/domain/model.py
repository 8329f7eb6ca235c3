"""The veteran file (一人一档) as one name: its vocabulary, events, commands, rules and decisions."""

from .commands import *  # noqa: F403
from .events import *  # noqa: F403
from .file import *  # noqa: F403

# The shared checks, which tests hold the request contracts to (the contract and the domain
# must accept the same input).
from .rules import _normalised_phone, _Problems, _required_text  # noqa: F401
from .vocabulary import *  # noqa: F403
