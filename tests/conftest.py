"""The suite loads the hypothesis profiles of ``autograd.testing`` (``dev``, ``ci``, the default,
and ``thorough``, described there) the way a user's own conftest.py does; choose one with
NDGRAD_HYPOTHESIS_PROFILE."""

from autograd.testing import load_profile

load_profile()
