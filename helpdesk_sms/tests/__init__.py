from . import test_stage_sms
