from . import business_time
