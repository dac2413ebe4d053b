"""Neural-network building blocks on top of ``autograd``: modules, layers, losses.

Written against autograd's public API, as a user's own layers would be: the package and its
documented modules ``autograd.ops`` (the ops ``ElmanTanh`` is fused from, and ``Stack``, whose
nodes the module drawings look for), ``autograd.render`` (drawing) and ``autograd.device``. One
engine helper that is not public yet remains: ``ElmanTanh``'s backward calls
``autograd.ops.linalg.linear_grads``. Nothing here imports ``optim``, which sits beside ``nn``.
"""

from . import checkpoint, data, datasets, errors, functional, init, utils
from .activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from .checkpoint import load, save
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, conv1d
from .data import DataLoader, TensorDataset
from .draw import draw, draw_text
from .dropout import Dropout, Dropout1d, Dropout2d
from .embedding import Embedding
from .errors import DomainError, DtypeError, IndexRangeError, ShapeError, StateDictError
from .fold import Fold, Unfold
from .linear import Flatten, Identity, Linear, Unflatten
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
)
from .mlp import MLP
from .module import IncompatibleKeys, Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxUnpool1d,
    MaxUnpool2d,
)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .transformer import (
    MultiheadAttention,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
