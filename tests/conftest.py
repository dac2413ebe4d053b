"""Hypothesis profiles for the whole test suite, chosen with NDGRAD_HYPOTHESIS_PROFILE:

* ``dev``: few examples, for a quick run while editing;
* ``ci`` (the default): enough examples to catch wrong rules, derandomized so that CI and a
  local run draw the same examples and a CI failure reproduces exactly;
* ``thorough``: many random examples, for a deeper search before a release.

Deadlines are off everywhere: finite-difference checks are slow, and their time varies
with the drawn shapes. Failures print the blob for ``@reproduce_failure``.
"""

import os

from hypothesis import settings

PROFILES = {
    "dev": dict(max_examples=5),
    "ci": dict(max_examples=30, derandomize=True),
    "thorough": dict(max_examples=300),
}

for name, options in PROFILES.items():
    settings.register_profile(name, deadline=None, print_blob=True, **options)

_chosen = os.environ.get("NDGRAD_HYPOTHESIS_PROFILE", "ci")
if _chosen not in PROFILES:
    raise ValueError(
        f"NDGRAD_HYPOTHESIS_PROFILE={_chosen!r} is not a hypothesis profile of this project; "
        f"choose one of {', '.join(PROFILES)}"
    )
settings.load_profile(_chosen)
