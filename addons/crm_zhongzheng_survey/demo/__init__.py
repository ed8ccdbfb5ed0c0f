# The demo's completed questionnaire (plain Python, no model of its own):
# the demo data calls it through ir.module.module._load_zhongzheng_survey_demo.
from . import ir_module_module
