"""`memfeed serve` as a real process for the system tests and the HTTP benchmarks (bench/http_load.py).

The server runs in its own process group, so a stop or a SIGKILL takes it and every worker it started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

MEMFEED = str(Path(sys.executable).with_name("memfeed"))
"""The `memfeed` command of the running interpreter's environment."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(directory: Path, database_url: str, jwt_secret: str, **extra: str) -> dict[str, str]:
    """A server environment with state under `directory`: auth on, rate limits off, quiet logs, offline.
    `extra` (MEMFEED_... names) wins over every default; no MEMFEED_ variable of the caller leaks in."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MEMFEED_")}
    env.update(
        MEMFEED_VAR_DIR=str(directory / "var"),
        MEMFEED_MODELS_DIR=str(directory / "models"),
        MEMFEED_DATABASE_URL=database_url,
        MEMFEED_AUTH="enabled",
        MEMFEED_JWT_SECRET=jwt_secret,
        MEMFEED_RATE_LIMIT_ENABLED="false",
        MEMFEED_LOG_LEVEL="WARNING",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    env.update(extra)
    return env


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


@dataclass
class ServerProcess:
    """`memfeed serve [--workers W]` on a free port; `start` returns once `ready` says so (default: /healthz)."""

    env: dict[str, str]
    cwd: Path
    log: Path
    workers: int = 1
    startup_seconds: float = 180.0
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pgid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, ready: Callable[[], bool] | None = None) -> None:
        self.port = free_port()
        command = [MEMFEED, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        check = ready or (lambda: _healthy(self.url))
        deadline = time.monotonic() + self.startup_seconds
        while not check():
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready within {self.startup_seconds} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def kill(self) -> int:
        """SIGKILL the whole group, as a crash would; returns the server's exit status."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        status = self.process.wait(timeout=30)
        self.process = None
        return status

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM (graceful: workers finish their requests), SIGKILL after `timeout`."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
