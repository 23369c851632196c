"""The image's build step runs ``collectstatic`` under production settings, which refuse weak
keys: it must pass them without a key baked into the Dockerfile.

No Docker here: the Dockerfile's own ``RUN`` line is run by ``sh`` in this checkout.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .test_settings import clean_environment

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def run_instructions() -> list[str]:
    """The Dockerfile's RUN commands, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [line[4:].strip() for line in text.splitlines() if line.startswith("RUN ")]


def test_the_build_step_collects_static_files_under_production_checks(tmp_path):
    (command,) = [run for run in run_instructions() if "collectstatic" in run]
    assert "KEY=build" not in command and "change-me" not in command
    env = clean_environment()
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        STATIC_ROOT=str(tmp_path),
    )
    result = subprocess.run(
        ["sh", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "staticfiles.json").exists()  # the production (manifest) storage ran
