from . import api, dataset, portal, portal_devices, portal_request
