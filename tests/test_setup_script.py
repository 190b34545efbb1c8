"""setup.sh finds a Python >= 3.12 by itself (python3.13, python3.12, then pyenv), or stops
with one clear line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("dirname", "ls", "sort", "cat", "sha256sum", "cut", "rm", "env")


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A PATH directory holding only the shell tools setup.sh uses: no Python, no pyenv."""
    path = tmp_path / "bin"
    path.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (path / tool).symlink_to(found)
    return path


def fake_python(path: Path, real: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nexec "{real}" "$@"\n')
    path.chmod(0o755)
    return path


def which_python(bin_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "project" / "setup.sh"
    script.parent.mkdir(exist_ok=True)
    shutil.copy(ROOT / "setup.sh", script)
    return subprocess.run(
        ["/bin/bash", str(script), "--which-python"],
        check=False,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=60,
    )


def too_old_python(path: Path) -> Path:
    """An interpreter that answers like Python 3.11 to setup.sh's version check."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '#!/bin/sh\ncase "$*" in *version_info*) exit 1;; esac\necho "Python 3.11.7"\n'
    )
    path.chmod(0o755)
    return path


def test_no_interpreter_is_one_clear_line_and_exit_2(bin_dir, tmp_path):
    result = which_python(bin_dir, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "no Python >= 3.12" in lines[0] and "install Python 3.12 or 3.13" in lines[0]
    assert result.stdout == ""


def test_too_old_python313_name_is_rejected(bin_dir, tmp_path):
    too_old_python(bin_dir / "python3.13")
    result = which_python(bin_dir, tmp_path)
    assert result.returncode == 2


def test_prefers_python313_over_python312(bin_dir, tmp_path):
    fake_python(bin_dir / "python3.12", sys.executable)
    fake_python(bin_dir / "python3.13", sys.executable)
    result = which_python(bin_dir, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(bin_dir / "python3.13")


def test_uses_python312_when_alone(bin_dir, tmp_path):
    fake_python(bin_dir / "python3.12", sys.executable)
    result = which_python(bin_dir, tmp_path)
    assert result.stdout.strip() == str(bin_dir / "python3.12")


def test_falls_back_to_newest_pyenv_version(bin_dir, tmp_path):
    root = tmp_path / "pyenv"
    fake_python(root / "versions" / "3.12.9" / "bin" / "python3.12", sys.executable)
    fake_python(root / "versions" / "3.13.1" / "bin" / "python3.13", sys.executable)
    too_old_python(root / "versions" / "3.14.0" / "bin" / "python3.14")  # a broken install
    pyenv = bin_dir / "pyenv"
    pyenv.write_text(f'#!/bin/sh\n[ "$1" = root ] && echo "{root}"\n')
    pyenv.chmod(0o755)
    result = which_python(bin_dir, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(root / "versions" / "3.13.1" / "bin" / "python3.13")


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./test.sh" in readme
    assert ci.strip().splitlines()[-1] == "./test.sh"
    assert os.access(ROOT / ".ci" / "run", os.X_OK) and os.access(ROOT / "test.sh", os.X_OK)
