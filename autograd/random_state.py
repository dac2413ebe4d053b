"""Random numbers: ``Generator`` (torch's, on NumPy's PCG64), the default generator that
``manual_seed`` seeds, and the errors of random functions. Every random function draws from
the default generator unless given ``generator=``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .device import CPU, DeviceLike, check_device, device
from .variable import Variable, wrap_array

if TYPE_CHECKING:
    from .tensor import Tensor

# What torch seeds a new Generator with, so that two fresh generators draw the same numbers.
DEFAULT_SEED = 67280421310721


class SamplingError(ValueError, RuntimeError):
    """A bad argument to a random function or a generator: negative probabilities, a negative
    std, more samples than categories without replacement, a state of the wrong size. A
    ValueError by ndgrad's conventions, and the RuntimeError torch raises."""


class Generator:
    """A stream of random numbers with its own state (``torch.Generator``): pass it as
    ``generator=`` to the random functions. A new one starts from the same seed every time.

    ``get_state`` returns the state as a uint8 tensor (ndgrad's own layout, not torch's) that
    ``set_state`` restores, so a run can be replayed from any point."""

    _STATE_VERSION = 1
    # The bytes of each field: version, PCG64's state and increment, its cached 32-bit half, seed.
    _STATE_LAYOUT = (1, 16, 16, 1, 4, 8)

    def __init__(self, device: DeviceLike = None) -> None:
        check_device(device)
        self._rng = np.random.Generator(np.random.PCG64())
        self.manual_seed(DEFAULT_SEED)

    @property
    def device(self) -> device:
        return CPU

    @property
    def rng(self) -> np.random.Generator:
        """The NumPy generator behind this one (for code that draws with NumPy directly)."""
        return self._rng

    def manual_seed(self, seed: int) -> Generator:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed takes an int, got {type(seed).__name__} {seed!r}")
        if not -(2**63) <= seed < 2**64:  # torch's range: signed and unsigned 64-bit seeds, negatives wrap
            raise SamplingError(f"manual_seed: seed {seed} is outside [-2**63, 2**64)")
        self._seed = int(seed) % 2**64
        # Reseeded in place, so that code holding ``rng`` follows the new seed.
        self._rng.bit_generator.state = np.random.PCG64(self._seed).state
        return self

    def seed(self) -> int:
        """Seed from fresh entropy (a non-deterministic seed); returns the seed."""
        entropy = np.random.SeedSequence().entropy
        assert isinstance(entropy, int)  # fresh entropy is one int, not a sequence
        seed = entropy % 2**64
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        state = self._rng.bit_generator.state
        fields = (self._STATE_VERSION, state["state"]["state"], state["state"]["inc"], state["has_uint32"],
                  state["uinteger"], self._seed)
        raw = b"".join(value.to_bytes(size, "little") for value, size in zip(fields, self._STATE_LAYOUT))
        return wrap_array(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        if not isinstance(new_state, Variable) or new_state.dtype != np.uint8:
            got = f"dtype {new_state.dtype}" if isinstance(new_state, Variable) else type(new_state).__name__
            raise TypeError(f"set_state takes the uint8 tensor that get_state returns, got {got}")
        raw = np.asarray(new_state.detach()).tobytes()
        size = sum(self._STATE_LAYOUT)
        if new_state.shape != (size,) or raw[0] != self._STATE_VERSION:
            raise SamplingError(
                f"set_state: not a state from Generator.get_state (expected {size} bytes starting with "
                f"{self._STATE_VERSION}, got shape {new_state.shape})"
            )
        ends = np.cumsum(self._STATE_LAYOUT)
        _, value, inc, has_uint32, uinteger, seed = (
            int.from_bytes(raw[end - n : end], "little") for n, end in zip(self._STATE_LAYOUT, ends)
        )
        self._rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": value, "inc": inc},
            "has_uint32": has_uint32,
            "uinteger": uinteger,
        }
        self._seed = seed
        return self


default_generator = Generator()
default_generator.seed()  # as torch: unseeded runs differ


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (behind every random function and nn's initialisation), for
    reproducible runs; returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from fresh entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


def generator() -> np.random.Generator:
    """The NumPy generator behind the default generator (for code that draws its own numbers)."""
    return default_generator.rng


def _rng(generator: Generator | None, op: str) -> np.random.Generator:
    if generator is None:
        return default_generator.rng
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}: generator must be an autograd.Generator, got {type(generator).__name__}")
    return generator.rng
