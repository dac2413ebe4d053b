"""``torch.accelerator``: there is none; ndgrad computes on the CPU."""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def current_accelerator() -> None:
    return None
