"""The HTTP face of memfeed: app factory, routers, schemas, auth dependencies and error mapping."""

from api.app import create_app

__all__ = ["create_app"]
