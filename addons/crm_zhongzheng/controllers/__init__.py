from . import api, dataset, portal, portal_devices
