"""`memfeed keys ...` and `memfeed token`: API keys and development end-user tokens. A command that prints a
secret prints it alone on the last line (scripts read it from there)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.serving import migrate
from memfeed.platform.settings import get_settings

keys_app = typer.Typer(help="API keys.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    scope: Annotated[str, typer.Option(help="admin or app")],
    name: Annotated[str, typer.Option(help="a label for operators")] = "",
) -> None:
    """Create an API key and print it once, alone on the last line."""
    from memfeed.platform.auth import create_api_key
    from memfeed.platform.errors import InvalidInput
    from memfeed.platform.storage.db import open_database

    settings = get_settings()
    migrate(settings)
    with open_database(settings) as database:
        try:
            key_id, key = create_api_key(database, scope, name)
        except InvalidInput as exc:
            raise typer.BadParameter(exc.message, param_hint="--scope") from exc
    typer.echo(f"created {scope} key {key_id} (store it now: it cannot be shown again)")
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (ids, scopes, names, revocation), never secrets."""
    from memfeed.platform.auth import list_api_keys
    from memfeed.platform.storage.db import open_database

    settings = get_settings()
    with open_database(settings) as database:
        for key in list_api_keys(database):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            typer.echo(f"{key.key_id}\t{key.scope}\t{state}\t{key.name}")


@keys_app.command("rotate")
def keys_rotate(
    key_id: str,
    revoke_old: Annotated[
        bool, typer.Option(help="revoke the old key at once (default: after clients switch)")
    ] = False,
) -> None:
    """Issue a replacement for a key (same scope and name); prints the new key once, alone on the last line."""
    from memfeed.platform.auth import rotate_api_key
    from memfeed.platform.storage.db import open_database

    settings = get_settings()
    with open_database(settings) as database:
        rotated = rotate_api_key(database, key_id, revoke_old=revoke_old)
    if rotated is None:
        typer.echo(f"no active key {key_id}", err=True)
        raise typer.Exit(1)
    old_state = "revoked" if revoke_old else f"still valid until `memfeed keys revoke {key_id}`"
    typer.echo(f"created key {rotated[0]} replacing {key_id} ({old_state})")
    typer.echo(rotated[1])


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key; running servers stop accepting it within MEMFEED_API_KEY_CACHE_SECONDS."""
    from memfeed.platform.auth import revoke_api_key
    from memfeed.platform.storage.db import open_database

    settings = get_settings()
    with open_database(settings) as database:
        if not revoke_api_key(database, key_id):
            typer.echo(f"no active key {key_id}", err=True)
            raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


def token(
    user: Annotated[str, typer.Option(help="the end user's id (the token's sub)")],
    ttl: Annotated[int | None, typer.Option(min=1, help="lifetime in seconds")] = None,
) -> None:
    """Print an end-user JWT signed with the configured secret, alone on the last line (development)."""
    from memfeed.platform.auth import issue_token
    from memfeed.platform.signing import jwt_secret

    settings = get_settings()
    if settings.jwt_public_key:
        typer.echo(
            "tokens are verified with MEMFEED_JWT_PUBLIC_KEY: issue them with the app's own auth", err=True
        )
        raise typer.Exit(1)
    typer.echo(
        issue_token(
            jwt_secret(settings),
            user,
            ttl or settings.token_ttl_seconds,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
        )
    )
