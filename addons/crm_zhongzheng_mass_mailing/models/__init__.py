from . import campaign_member
from . import mailing_mailing
from . import customer_selection
