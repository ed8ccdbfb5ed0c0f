from . import res_company
from . import res_config_settings
from . import survey_user_input
from . import survey_invite
from . import service_ticket
