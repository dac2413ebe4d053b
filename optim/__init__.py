"""Optimizers that update parameters from their ``.grad``, and learning-rate schedules.

Where to look: ``optimizer.py`` (parameter groups, state, state_dict, the shared step),
one module per optimizer (``sgd.py``, ``adam.py``, ``rmsprop.py``, ``adagrad.py``,
``adadelta.py``, ``adamax.py``, ``nadam.py``, ``radam.py``, ``lbfgs.py``),
and ``lr_scheduler.py`` (schedules).
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["LBFGS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer", "RAdam", "RMSprop",
           "lr_scheduler"]
