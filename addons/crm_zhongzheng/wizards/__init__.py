from . import value_settings
from . import activity_schedule
