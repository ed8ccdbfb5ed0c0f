from . import value_settings
