"""User activity: the event vocabulary and its weights, validation, and idempotent ingest."""
