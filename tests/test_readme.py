"""The README's Python examples are doctests: their printed output must be what the code prints."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples_run_and_print_what_the_readme_shows():
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8, "the README lost its examples"
    assert result.failed == 0


def _python_blocks(text: str) -> list[str]:
    """The README's ```python blocks that are not doctests (the doctests run above)."""
    blocks, inside, cur = [], False, []
    for line in text.splitlines():
        if line.strip() == "```python":
            inside, cur = True, []
        elif inside and line.strip() == "```":
            inside = False
            if not any(c.lstrip().startswith(">>>") for c in cur):
                blocks.append("\n".join(cur))
        elif inside:
            cur.append(line)
    return blocks


def test_readme_property_example_runs_as_written_outside_the_project_conftest(tmp_path):
    """The README's property test passes under the libraries' default settings (no project conftest)."""
    import subprocess
    import sys

    blocks = _python_blocks(README.read_text())
    assert any("@given" in b for b in blocks), "the README lost its property-test example"
    for i, block in enumerate(blocks):
        (tmp_path / f"test_readme_block_{i}.py").write_text(block + "\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest",
                           "--rootdir", str(tmp_path), str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert f"{sum('def test_' in b for b in blocks)} passed" in proc.stdout


def test_docs_state_the_check_defaults_the_code_has():
    from slqc.check import DEFAULT_BATCH

    check_md = (README.parent / "docs" / "check.md").read_text(encoding="utf-8")
    assert f"`--batch N` (default {DEFAULT_BATCH})" in check_md
    readme = README.read_text(encoding="utf-8")
    assert f"default\n{DEFAULT_BATCH};" in readme or f"default {DEFAULT_BATCH};" in readme
