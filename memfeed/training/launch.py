"""Starting a retrain in its own process, so training never competes with the API for the GIL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from memfeed.platform.settings import Settings
from memfeed.platform.threads import child_environment


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process build exactly these settings."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(exclude={"resolved_database_url"}).items():
        if value is None:
            continue
        if isinstance(value, list | dict):
            env[f"MEMFEED_{name.upper()}"] = json.dumps(value)
        elif isinstance(value, Path):
            env[f"MEMFEED_{name.upper()}"] = str(value.resolve())
        else:
            env[f"MEMFEED_{name.upper()}"] = str(value)
    return env


def start_retrain_process(settings: Settings, run_id: str, promote: str) -> subprocess.Popen[bytes]:
    env = {
        **child_environment(os.environ),
        **settings_env(settings),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    log_path = Path(settings.var_dir).resolve() / "runs" / f"{run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "retrain", "--promote", promote, "--run-id", run_id],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
