from . import portal
from . import kb
