from . import ir_module_module
