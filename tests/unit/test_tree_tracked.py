"""What git tracks must build on any machine: no symlinks, nothing that `make` creates.

A symlinked `.venv` once slipped into a commit (`.venv/` in .gitignore matches only a
directory): every clean clone then failed at `make test`, on the machine it pointed to too.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATED = (".venv", "data/", ".env", "test-artifacts/", "build/", "dist/")


def _tracked() -> list[tuple[str, str]]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to inspect")
    out = subprocess.run(
        ["git", "ls-files", "-s", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    rows = []
    for entry in filter(None, out.split("\0")):
        meta, path = entry.split("\t", 1)
        rows.append((meta.split()[0], path))
    return rows


def test_no_symlink_is_tracked() -> None:
    links = [path for mode, path in _tracked() if mode == "120000"]
    assert links == []


def test_nothing_generated_is_tracked() -> None:
    generated = [
        path
        for _, path in _tracked()
        if any(path == g.rstrip("/") or path.startswith(g.rstrip("/") + "/") for g in GENERATED)
    ]
    assert generated == []
