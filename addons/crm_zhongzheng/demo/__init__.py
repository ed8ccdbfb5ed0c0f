# The demo company's generated history (plain Python, no model of its own):
# the demo data calls it through ir.module.module._load_zhongzheng_demo.
from . import ir_module_module
