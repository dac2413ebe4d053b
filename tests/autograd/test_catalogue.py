"""The bad-input catalogue (tests/catalogue.py, published as docs/errors.md): every example
raises what the table says, with a message naming the offending values, and the page is current."""

from pathlib import Path

import pytest
from catalogue import SECTIONS, render, run

ROWS = [misuse for rows in SECTIONS.values() for misuse in rows]
DOCUMENTED = (TypeError, ValueError, IndexError, RuntimeError)
PAGE = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


@pytest.mark.parametrize("misuse", ROWS, ids=[m.what for m in ROWS])
def test_each_misuse_raises_what_the_catalogue_says(misuse):
    error = run(misuse)
    assert type(error) is misuse.raises, f"{misuse.code!r} raised {type(error).__name__}: {error}"
    message = str(error)
    missing = [s for s in misuse.says if s not in message]
    assert not missing, f"the message {message!r} does not name {missing}"


def test_the_catalogue_lists_only_documented_exception_types():
    for misuse in ROWS:
        assert issubclass(misuse.raises, DOCUMENTED), misuse
        assert misuse.says, f"{misuse.what!r}: say what the message must name"
    assert len({m.what for m in ROWS}) == len(ROWS), "two rows describe the same misuse"


def test_the_page_is_current():
    assert PAGE.read_text(encoding="utf-8") == render(), (
        "docs/errors.md is out of date: regenerate it with `.venv/bin/python -m tests.catalogue > docs/errors.md`"
    )
