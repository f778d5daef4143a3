"""End-user JWTs: verified with one configured algorithm, issued (HS256) for development and tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt

from memfeed.platform.errors import Unauthorized
from memfeed.platform.storage.types import utcnow


class TokenVerifier:
    """Verifies end-user JWTs: one configured algorithm only (never `none`), `exp` and `sub` required."""

    def __init__(
        self,
        *,
        secret: str | None,
        public_key: str | None,
        audience: str | None = None,
        issuer: str | None = None,
    ) -> None:
        if public_key:
            self._key: Any = public_key
            self._algorithms = ["RS256"]
        elif secret:
            self._key = secret
            self._algorithms = ["HS256"]
        else:
            raise ValueError("a JWT secret or public key is required")
        self._audience = audience
        self._issuer = issuer

    def subject(self, token: str | None) -> str:
        if not token:
            raise Unauthorized("missing Authorization: Bearer token")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("invalid token: sub must be a non-empty string")
        return sub


def issue_token(
    secret: str, user_id: str, ttl_seconds: int, *, audience: str | None = None, issuer: str | None = None
) -> str:
    """An HS256 end-user token, for development and tests (production tokens come from the app's auth)."""
    now = utcnow()
    claims: dict[str, Any] = {"sub": user_id, "iat": now, "exp": now + timedelta(seconds=ttl_seconds)}
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm="HS256")
