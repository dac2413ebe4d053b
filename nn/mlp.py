"""``MLP``: a multilayer perceptron in one line, as a ``Sequential`` of Linear, activation, Dropout."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from . import functional as F
from .activation import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from .containers import Sequential
from .dropout import Dropout
from .linear import Identity, Linear
from .module import Module

ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "gelu": GELU,
    "leaky_relu": LeakyReLU,
    "identity": Identity,
}


def _activation_factory(activation: Any) -> Callable[[], Module]:
    """One new activation module per hidden layer, from a name, a Module class or factory, or an instance."""
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r} (known: {', '.join(ACTIVATIONS)})")
        return ACTIVATIONS[activation]
    if isinstance(activation, Module):
        return lambda: copy.deepcopy(activation)
    if callable(activation):
        def make() -> Module:
            module = activation()
            if not isinstance(module, Module):
                raise TypeError(f"MLP: activation factory {activation!r} returned a {type(module).__name__}, "
                                "not a Module")
            return module
        return make
    raise TypeError(f"MLP: activation must be a name, a Module class or instance, got {type(activation).__name__}")


class MLP(Sequential):
    """Linear layers of sizes in_features -> *hidden_sizes -> out_features, each hidden one
    followed by ``activation`` (and ``Dropout(dropout)`` when dropout > 0); the output layer
    has no activation, so the outputs are logits or regression values.

    ``MLP(2, 16, 1, activation="tanh")`` is the shallow net of the lectures (one hidden layer),
    ``MLP(784, [256, 128, 64], 10)`` a deep one. Parameters are named as in a Sequential
    (``0.weight``, ``2.weight``, ...), so a state_dict maps onto the same torch Sequential.
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: int | Sequence[int],
        out_features: int,
        activation: str | Module | Callable[[], Module] = "relu",
        dropout: float = 0.0,
        bias: bool = True,
    ) -> None:
        hidden = [hidden_sizes] if isinstance(hidden_sizes, int) else list(hidden_sizes)
        for size in [in_features, *hidden, out_features]:
            if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
                raise ValueError(
                    f"MLP: layer sizes must be positive ints, got in_features={in_features!r}, "
                    f"hidden_sizes={hidden_sizes!r}, out_features={out_features!r}"
                )
        F._check_probability(dropout, "MLP", "dropout")
        make_activation = _activation_factory(activation)
        layers: list[Module] = []
        width = in_features
        for size in hidden:
            layers += [Linear(width, size, bias=bias), make_activation()]
            if dropout > 0:
                layers.append(Dropout(dropout))
            width = size
        layers.append(Linear(width, out_features, bias=bias))
        super().__init__(*layers)
        self.in_features, self.hidden_sizes, self.out_features = in_features, tuple(hidden), out_features
