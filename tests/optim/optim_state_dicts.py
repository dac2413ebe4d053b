"""Checks shared by the optimizer tests: what a state_dict may hold, and how it looks after
a round trip through a text format."""

import numpy as np


def assert_plain(value, where="state_dict"):
    """Only arrays, numbers, strings, None, lists and dicts: what a pickle-free format can hold."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, (int, str)), f"{where} has a key of type {type(k).__name__}"
            assert_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_plain(v, f"{where}[{i}]")
    else:
        assert value is None or isinstance(value, (np.ndarray, bool, int, float, str)), (
            f"{where} is a {type(value).__name__}")


def to_text_keys(state_dict):
    """What the state_dict looks like after a round trip through a text format: string keys."""
    return {"state": {str(k): v for k, v in state_dict["state"].items()},
            "param_groups": state_dict["param_groups"]}
