from . import test_analysis
from . import test_analysis_security
from . import test_overview
from . import test_performance
from . import test_favourites
from . import test_analysis_joins
from . import test_workload
