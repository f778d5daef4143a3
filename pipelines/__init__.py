"""Prefect flows over the core package: embed-items, retrain (embed, load, evaluate, publish), purge.

Thin orchestration only: `tasks.py` wraps one `memfeed` call per task, `flows.py` composes them, and
`deployments.py` holds the schedules.
"""
