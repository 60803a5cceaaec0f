"""The README's Python examples are doctests: their printed output must be what the code prints."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples_run_and_print_what_the_readme_shows():
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8, "the README lost its examples"
    assert result.failed == 0
