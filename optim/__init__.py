"""Optimizers that update parameters from their ``.grad``, learning-rate schedules, and
gradient clipping.

Where to look: ``optimizer.py`` (parameter groups, state, state_dict, the shared step),
one module per optimizer (``sgd.py``, ``adam.py``, ``rmsprop.py``, ``adagrad.py``),
``lr_scheduler.py`` (schedules) and ``clip.py`` (clipping).
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .clip import clip_grad_norm_, clip_grad_value_
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "clip_grad_norm_", "clip_grad_value_",
           "lr_scheduler"]
