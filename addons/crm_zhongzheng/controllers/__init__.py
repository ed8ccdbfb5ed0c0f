from . import api, dataset, portal
