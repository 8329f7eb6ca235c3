"""The disputes domain as one name: vocabulary, clocks, events, commands and the three case kinds."""

from .clocks import *  # noqa: F403
from .commands import *  # noqa: F403
from .dispute import *  # noqa: F403
from .errors import *  # noqa: F403
from .events import *  # noqa: F403
from .petition import *  # noqa: F403
from .proxy import *  # noqa: F403
from .referrals import *  # noqa: F403
from .vocabulary import *  # noqa: F403
