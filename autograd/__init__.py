"""ndgrad's autograd: tensors and scalars that record what you compute with them, and the
engine that differentiates it, to any order.

Where to look: ``tensor.py`` (the Tensor API you call), ``ops/`` (each op's forward and
backward, as ``Function`` subclasses), ``engine.py`` (the backward walk).
"""

import numpy as np

from . import functional, ops
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .creation import (
    Generator,
    SamplingError,
    arange,
    as_tensor,
    bernoulli,
    default_generator,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    get_rng_state,
    initial_seed,
    linspace,
    manual_seed,
    multinomial,
    normal,
    ones,
    ones_like,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_default_dtype,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from .device import DeviceError, cuda, device, get_default_device, set_default_device
from .engine import backward, grad
from .function import Context, Function, Op
from .functional_forms import function_form
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .gradients import zero_grads
from .indexing_ops import (
    argwhere,
    gather,
    index_add,
    index_fill,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
)
from .joining import cat, stack
from .layout import (
    broadcast_tensors,
    broadcast_to,
    diag,
    diag_embed,
    diagonal,
    flip,
    fliplr,
    flipud,
    meshgrid,
    narrow,
    repeat_interleave,
    roll,
    rot90,
    select,
    tile,
    trace,
    tril,
    triu,
    unflatten,
)
from .moments import std_mean, var_mean
from .products import addmm, baddbmm, bmm, cdist, cross, einsum, kron, outer, tensordot
from .random_state import generator
from .render import draw_graph, draw_text
from .scalar import Scalar
from .shapes import Size
from .sorting import argsort, kthvalue, sort, topk, unique
from .summaries import Histogram, allclose, histc, histogram, isclose
from .tensor import MinMax, RemovableHandle, Tensor, ValuesIndices, linear, where

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
# torch's dtype names (int8 ... uint8 too), for code written as torch.float, torch.long, ...
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
uint8 = np.dtype(np.uint8)
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
bool = bool_  # noqa: A001

# Functional forms of the methods, for code written as torch.exp(x), torch.matmul(a, b), ...; their
# tensor argument is named as in torch (torch.sum(input=x, dim=0)).
exp = function_form(Tensor.exp)
log = function_form(Tensor.log)
sqrt = function_form(Tensor.sqrt)
abs = function_form(Tensor.abs)  # noqa: A001
sin = function_form(Tensor.sin)
cos = function_form(Tensor.cos)
tanh = function_form(Tensor.tanh)
sigmoid = function_form(Tensor.sigmoid)
relu = function_form(Tensor.relu)
clamp = function_form(Tensor.clamp)
clip = function_form(Tensor.clip)
maximum = function_form(Tensor.maximum)
minimum = function_form(Tensor.minimum)
pow = function_form(Tensor.pow)  # noqa: A001
matmul = function_form(Tensor.matmul)
dot = function_form(Tensor.dot)
mm = function_form(Tensor.mm)
neg = function_form(Tensor.neg)
add = function_form(Tensor.add)
sub = function_form(Tensor.sub)
mul = function_form(Tensor.mul)
div = function_form(Tensor.div)
square = function_form(Tensor.square)
norm = function_form(Tensor.norm)
amax = function_form(Tensor.amax)
amin = function_form(Tensor.amin)
sum = function_form(Tensor.sum)  # noqa: A001
mean = function_form(Tensor.mean)
prod = function_form(Tensor.prod)
var = function_form(Tensor.var)
std = function_form(Tensor.std)
max = function_form(Tensor.max)  # noqa: A001
min = function_form(Tensor.min)  # noqa: A001
argmax = function_form(Tensor.argmax)
argmin = function_form(Tensor.argmin)
logsumexp = function_form(Tensor.logsumexp)
softmax = function_form(Tensor.softmax)
log_softmax = function_form(Tensor.log_softmax)
cumsum = function_form(Tensor.cumsum)
cumprod = function_form(Tensor.cumprod)
cummax = function_form(Tensor.cummax)
cummin = function_form(Tensor.cummin)
logcumsumexp = function_form(Tensor.logcumsumexp)
median = function_form(Tensor.median)
aminmax = function_form(Tensor.aminmax)
count_nonzero = function_form(Tensor.count_nonzero)
reshape = function_form(Tensor.reshape)
flatten = function_form(Tensor.flatten)
squeeze = function_form(Tensor.squeeze)
unsqueeze = function_form(Tensor.unsqueeze)
permute = function_form(Tensor.permute)
transpose = function_form(Tensor.transpose)
split = function_form(Tensor.split, first="tensor")
chunk = function_form(Tensor.chunk)
unbind = function_form(Tensor.unbind)
movedim = function_form(Tensor.movedim)
t = function_form(Tensor.t)
clone = function_form(Tensor.clone)
detach = function_form(Tensor.detach)
numel = function_form(Tensor.numel)
eq = function_form(Tensor.eq)
ne = function_form(Tensor.ne)
lt = function_form(Tensor.lt)
le = function_form(Tensor.le)
gt = function_form(Tensor.gt)
ge = function_form(Tensor.ge)
all = function_form(Tensor.all)  # noqa: A001
any = function_form(Tensor.any)  # noqa: A001
# elementwise math: trigonometry, logarithms, rounding, remainders, bits and logic
tan = function_form(Tensor.tan)
asin = arcsin = function_form(Tensor.asin)
acos = arccos = function_form(Tensor.acos)
atan = arctan = function_form(Tensor.atan)
sinh = function_form(Tensor.sinh)
cosh = function_form(Tensor.cosh)
asinh = arcsinh = function_form(Tensor.asinh)
acosh = arccosh = function_form(Tensor.acosh)
atanh = arctanh = function_form(Tensor.atanh)
atan2 = arctan2 = function_form(Tensor.atan2)
log2 = function_form(Tensor.log2)
log10 = function_form(Tensor.log10)
log1p = function_form(Tensor.log1p)
expm1 = function_form(Tensor.expm1)
exp2 = function_form(Tensor.exp2)
rsqrt = function_form(Tensor.rsqrt)
reciprocal = function_form(Tensor.reciprocal)
erf = function_form(Tensor.erf)
erfc = function_form(Tensor.erfc)
erfinv = function_form(Tensor.erfinv)
logaddexp = function_form(Tensor.logaddexp)
logaddexp2 = function_form(Tensor.logaddexp2)
hypot = function_form(Tensor.hypot)
copysign = function_form(Tensor.copysign)
lerp = function_form(Tensor.lerp)
nan_to_num = function_form(Tensor.nan_to_num)
floor = function_form(Tensor.floor)
ceil = function_form(Tensor.ceil)
trunc = fix = function_form(Tensor.trunc)
round = function_form(Tensor.round)  # noqa: A001
sign = sgn = function_form(Tensor.sign)
frac = function_form(Tensor.frac)
divide = function_form(Tensor.divide)
true_divide = function_form(Tensor.true_divide)
floor_divide = function_form(Tensor.floor_divide)
fmod = function_form(Tensor.fmod)
remainder = function_form(Tensor.remainder)
clamp_min = function_form(Tensor.clamp_min)
clamp_max = function_form(Tensor.clamp_max)
isnan = function_form(Tensor.isnan)
isinf = function_form(Tensor.isinf)
isfinite = function_form(Tensor.isfinite)
bitwise_and = function_form(Tensor.bitwise_and)
bitwise_or = function_form(Tensor.bitwise_or)
bitwise_xor = function_form(Tensor.bitwise_xor)
bitwise_not = function_form(Tensor.bitwise_not)
bitwise_left_shift = function_form(Tensor.bitwise_left_shift)
bitwise_right_shift = function_form(Tensor.bitwise_right_shift)
logical_and = function_form(Tensor.logical_and)
logical_or = function_form(Tensor.logical_or)
logical_xor = function_form(Tensor.logical_xor)
logical_not = function_form(Tensor.logical_not)
addcmul = function_form(Tensor.addcmul)
addcdiv = function_form(Tensor.addcdiv)
negative = function_form(Tensor.negative)
absolute = function_form(Tensor.absolute)
multiply = function_form(Tensor.multiply)
subtract = function_form(Tensor.subtract)

__all__ = [
    "AnomalyError", "Context", "Function", "GradcheckError", "Op", "RemovableHandle", "Scalar", "Tensor",
    "ValuesIndices",
    "abs", "add", "all", "amax", "amin", "any", "arange", "argmax", "argmin", "bool_", "cat", "chunk", "clamp", "clip",
    "clone", "cos", "cuda", "detach", "detect_anomaly", "device", "div", "dot", "draw_graph", "draw_text",
    "enable_grad", "eq", "exp", "eye", "flatten", "float16", "float32", "float64", "from_numpy", "full", "full_like",
    "ge", "generator", "grad", "gradcheck", "gradgradcheck", "gt", "int32", "int64", "is_anomaly_enabled",
    "is_grad_enabled", "le", "linear", "linspace", "log", "log_softmax", "logsumexp", "lt", "manual_seed", "matmul",
    "max", "maximum", "mean", "min", "minimum", "mm", "movedim", "mul", "ne", "neg", "no_grad", "norm", "numel",
    "ones", "ones_like", "permute", "pow", "prod", "rand", "rand_like", "randint", "randn", "randn_like", "relu",
    "reshape", "set_grad_enabled", "sigmoid", "sin", "softmax", "split", "sqrt", "square", "squeeze", "stack", "std",
    "sub", "sum", "t", "tanh", "tensor", "transpose", "unbind", "unsqueeze", "var", "where", "zero_grads", "zeros",
    "zeros_like",
    # torch's factories, randomness, devices and dtype names
    "DeviceError", "Generator", "Histogram", "SamplingError", "Size", "allclose", "as_tensor", "bernoulli", "bool",
    "default_generator", "double", "empty", "empty_like", "float", "get_default_device",
    "get_default_dtype", "get_rng_state", "half", "histc", "histogram", "initial_seed", "int", "int8", "int16",
    "isclose", "long", "multinomial", "normal", "poisson", "randint_like", "randperm", "seed", "set_default_device",
    "set_default_dtype", "set_rng_state", "short", "uint8",
    # elementwise math
    "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "asin", "asinh", "atan",
    "atan2", "atanh", "bitwise_and", "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift",
    "bitwise_xor", "ceil", "clamp_max", "clamp_min", "copysign", "cosh", "divide", "erf", "erfc", "erfinv", "exp2",
    "expm1", "fix", "floor", "floor_divide", "fmod", "frac", "hypot", "isfinite", "isinf", "isnan", "lerp", "log10",
    "log1p", "log2", "logaddexp", "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor",
    "nan_to_num", "reciprocal", "remainder", "round", "rsqrt", "sgn", "sign", "sinh", "tan", "true_divide", "trunc",
    "absolute", "addcdiv", "addcmul", "multiply", "negative", "subtract",
    # scans and order statistics
    "MinMax", "aminmax", "count_nonzero", "cummax", "cummin", "cumprod", "cumsum", "logcumsumexp", "median",
    "std_mean", "var_mean",
    # indexing with index tensors and masks
    "argwhere", "gather", "index_add", "index_fill", "index_select", "masked_fill", "masked_scatter", "masked_select",
    "nonzero", "scatter", "scatter_add", "scatter_reduce", "take", "take_along_dim",
    # layout, order and products
    "addmm", "argsort", "baddbmm", "bmm", "broadcast_tensors", "broadcast_to", "cdist", "cross", "diag", "diag_embed",
    "diagonal", "einsum", "flip", "fliplr", "flipud", "kron", "kthvalue", "meshgrid", "narrow", "outer",
    "repeat_interleave", "roll", "rot90", "select", "sort", "tensordot", "tile", "topk", "trace", "tril", "triu",
    "unflatten", "unique",
]
