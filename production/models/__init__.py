from .calendars import *  # noqa: F403
from .execution import *  # noqa: F403
from .machine_data import *  # noqa: F403
from .oee import *  # noqa: F403
from .plant import *  # noqa: F403
from .reasons import *  # noqa: F403
from .routing import *  # noqa: F403
from .scheduling import *  # noqa: F403
