"""Compute threads in API processes.

OpenBLAS and OpenMP (FAISS) start one thread per core and spin-wait between operations. A feed page does
many small matrix products and a batched HNSW search, and an API process serves several requests at once
on the same few cores, so spinning threads take CPU from the other requests (measured on 2 cores: 36.8 ms
of CPU per page with the libraries' defaults, 17.5 ms single-threaded; docs/performance.md). `memfeed
serve` therefore runs them single-threaded: parallelism comes from serving requests side by side. A retrain
is its own process (memfeed/training/launch.py) and gets every core back.

Set through the environment before the libraries load: FAISS's OpenMP and its OpenBLAS keep a thread count
per thread, so a call made at run time would not reach the threads that run sync routes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from memfeed.platform.settings import Settings

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_APPLIED = "_MEMFEED_SERVE_THREADS_APPLIED"
"""Marks the variables as set by `apply_serving_threads`, so child processes can drop them."""


def apply_serving_threads(settings: Settings, environ: MutableMapping[str, str] = os.environ) -> None:
    """Limit BLAS and OpenMP threads for this process and the workers it spawns (0: leave the defaults).

    Must run before numpy, FAISS or torch load: `memfeed serve` calls it first thing.
    """
    if settings.serve_compute_threads <= 0:
        return
    for name in THREAD_VARIABLES:
        environ[name] = str(settings.serve_compute_threads)
    environ[_APPLIED] = "1"


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` for a compute job started by a server (a retrain): without the serving thread limits."""
    if _APPLIED not in environ:
        return dict(environ)
    return {k: v for k, v in environ.items() if k not in (*THREAD_VARIABLES, _APPLIED)}
