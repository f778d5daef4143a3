"""Prefect flows over the core package (embed, train, evaluate, publish, retrain).

Thin orchestration only: every task calls a function of `memfeed`. The flows arrive with the model
registry (issue [2/6]); until then the API serves content vectors built at write time.
"""
