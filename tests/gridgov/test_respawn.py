"""bin/respawn (the Procfile's worker and beat run under it): a process that dies is started
again, and stopping respawn stops it for good."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_dead_process_is_started_again_until_respawn_is_stopped(tmp_path):
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        [str(ROOT / "bin" / "respawn"), "sh", "-c", f"echo run >> {runs}; exit 3"],
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(200):  # two restarts, two seconds apart
        if runs.exists() and len(runs.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert len(runs.read_text().splitlines()) >= 2
    assert "exited with status 3" in process.stderr.read()
