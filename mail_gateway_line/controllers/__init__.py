from . import gateway
