from . import portal
from . import kb
from . import thread
