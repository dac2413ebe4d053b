"""Neural-network building blocks on top of ``autograd``: modules, layers, losses.

Written only against autograd's public API, as a user's own layers would be.
"""

from .containers import ModuleDict, ModuleList, Sequential
from .module import IncompatibleKeys, Module, Parameter
