"""The ``ndgrad`` command line: ``ndgrad demo`` and friends."""
