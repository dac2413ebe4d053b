"""The hypothesis profiles of ``autograd.testing``, chosen with NDGRAD_HYPOTHESIS_PROFILE:

* ``dev``: few examples, for a quick run while editing;
* ``ci`` (the default): enough examples to catch wrong rules, derandomized so that CI and a
  local run draw the same examples and a CI failure reproduces exactly;
* ``thorough``: many random examples, for a deeper search before a release.

Deadlines are off everywhere: finite-difference checks are slow, and their time varies
with the drawn shapes. Failures print the blob for ``@reproduce_failure``. The suite loads
them the way a user's own conftest.py does.
"""

from autograd.testing import load_profile

load_profile()
