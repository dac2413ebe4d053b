"""``torch.backends``: the switches scripts set or ask about. ndgrad computes with NumPy on the
CPU, so no backend is available and the switches change nothing (they are kept, so that a
script reading back what it set finds it)."""

from types import SimpleNamespace

from ._aliases import register

cudnn = SimpleNamespace(
    enabled=True, deterministic=False, benchmark=False, allow_tf32=False, is_available=lambda: False,
    version=lambda: None,
)
mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cuda = SimpleNamespace(is_built=lambda: False, matmul=SimpleNamespace(allow_tf32=False))

for _name, _backend in {"cudnn": cudnn, "mps": mps, "cuda": cuda}.items():
    register(f"{__name__}.{_name}", _backend)  # import ndgrad.backends.cudnn as cudnn

__all__ = ["cuda", "cudnn", "mps"]
