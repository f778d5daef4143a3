"""Prefect flows over the core package: embed-items, retrain (embed, load, evaluate, publish), purge.

Thin orchestration only: every task calls a function of `memfeed`. Schedules live in deployments.py.
"""
