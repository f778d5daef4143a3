"""Who is calling: API keys (hashed at rest, scoped) and end-user JWTs."""

from memfeed.platform.auth.keys import (
    ApiKeyVerifier,
    Caller,
    KeyRecord,
    Scope,
    create_api_key,
    list_api_keys,
    revoke_api_key,
    rotate_api_key,
)
from memfeed.platform.auth.tokens import TokenVerifier, issue_token

__all__ = [
    "ApiKeyVerifier",
    "Caller",
    "KeyRecord",
    "Scope",
    "TokenVerifier",
    "create_api_key",
    "issue_token",
    "list_api_keys",
    "revoke_api_key",
    "rotate_api_key",
]
