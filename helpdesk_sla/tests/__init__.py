from . import test_business_time
