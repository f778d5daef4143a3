"""Which code produced a model: the git commit of the memfeed checkout, whether it had local edits, and the
package version. Recorded in every model manifest so a version can be rebuilt from its manifest.
"""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import memfeed

GIT_TIMEOUT_SECONDS = 3.0


def _git(directory: Path, *args: str) -> str | None:
    """stdout of one git command, or None when git is missing, slow, or the command fails."""
    # GIT_OPTIONAL_LOCKS=0: `git status` must not take the index lock while other processes use the checkout
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


@lru_cache(maxsize=1)
def code_version() -> dict[str, Any]:
    """{"commit", "dirty", "package_version"} for the running code, computed once per process.

    The checkout is found from the package's own location, not the working directory, so a pipeline started
    from anywhere records the code it actually runs. An installed (non-checkout) package, or a package that
    merely sits inside some other repository (a venv in an ignored folder), gives commit and dirty None.
    """
    package = Path(memfeed.__file__).resolve().parent
    tree = package.parent
    unknown: dict[str, Any] = {"commit": None, "dirty": None, "package_version": memfeed.__version__}
    # the package source must be tracked in that checkout, or the commit would describe other code
    if _git(tree, "ls-files", "--error-unmatch", "--", f"{package.name}/__init__.py") is None:
        return unknown
    head = _git(tree, "rev-parse", "--verify", "HEAD")
    if head is None or not head.strip():
        return unknown
    status = _git(tree, "status", "--porcelain", "--untracked-files=no")
    return {
        "commit": head.strip(),
        "dirty": None if status is None else bool(status.strip()),
        "package_version": memfeed.__version__,
    }
