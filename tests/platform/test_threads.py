"""`memfeed serve` runs BLAS and OpenMP single-threaded (memfeed/platform/threads.py): spinning library threads cost
concurrent feed requests half their CPU. A retrain it launches gets the libraries' defaults back."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from memfeed.platform.settings import Settings
from memfeed.platform.threads import THREAD_VARIABLES, apply_serving_threads, child_environment

# What a request's worker thread sees once the libraries have loaded: thread counts per library.
PROBE = """
import json, threading
from memfeed.platform.settings import Settings
from memfeed.platform.threads import apply_serving_threads
apply_serving_threads(Settings(_env_file=None))
import numpy as np, faiss
from threadpoolctl import threadpool_info
np.ones((64, 64)) @ np.ones((64, 64))
seen = []
worker = threading.Thread(target=lambda: seen.append(
    {p["filepath"].rsplit("/", 1)[-1]: p["num_threads"] for p in threadpool_info()}))
worker.start(); worker.join()
print(json.dumps(seen[0]))
"""


def probe(**env: str) -> dict[str, int]:
    clean = {
        k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES and not k.startswith("MEMFEED_")
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_serving_process_libraries_run_single_threaded_in_every_thread() -> None:
    limited = probe()
    assert any("openblas" in lib for lib in limited) and any("gomp" in lib for lib in limited)
    assert set(limited.values()) == {1}, limited
    if (os.cpu_count() or 1) > 1:
        default = probe(MEMFEED_SERVE_COMPUTE_THREADS="0")
        assert max(default.values()) > 1, "0 leaves the libraries' defaults alone"


def test_retrain_started_by_a_server_gets_the_defaults_back() -> None:
    environ = {"PATH": "/usr/bin", "OMP_NUM_THREADS": "4"}
    assert child_environment(environ) == environ, "an operator's own setting is kept"
    apply_serving_threads(Settings(_env_file=None), environ)  # type: ignore[call-arg]
    assert environ["OMP_NUM_THREADS"] == environ["OPENBLAS_NUM_THREADS"] == "1"
    assert child_environment(environ) == {"PATH": "/usr/bin"}
