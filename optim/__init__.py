"""Optimizers that update parameters from their ``.grad``, and learning-rate schedules.

Where to look: ``optimizer.py`` (parameter groups, state, state_dict, the shared step),
one module per optimizer (``sgd.py``, ``adam.py``, ``rmsprop.py``, ``adagrad.py``),
and ``lr_scheduler.py`` (schedules).
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
