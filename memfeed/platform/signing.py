"""Server-side secrets: the cursor-signing key and the development JWT secret.

Configured values win. Otherwise one random secret is created under `var_dir` (mode 0600) so that
`memfeed serve` and `memfeed token` on the same machine agree without any set-up; several hosts must
configure `MEMFEED_SECRET_KEY` and `MEMFEED_JWT_SECRET` explicitly.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from memfeed.platform.settings import Settings

SECRET_FILE = "secret.key"


def _local_secret(var_dir: Path) -> str:
    path = var_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    try:
        os.link(tmp, path)  # first writer wins if two processes race
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def server_secret(settings: Settings) -> bytes:
    """Key for signing cursors; derived so it never equals the JWT secret."""
    base = settings.secret_key or _local_secret(settings.var_dir)
    return hashlib.sha256(b"memfeed-cursor\x00" + base.encode()).digest()


def jwt_secret(settings: Settings) -> str:
    """The HS256 secret for end-user tokens: configured, else the local development secret."""
    return settings.jwt_secret or _local_secret(settings.var_dir)
