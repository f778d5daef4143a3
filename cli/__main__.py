"""`python -m cli ...`: the `memfeed` command without its console script (a retrain started by the API)."""

from cli.app import app

app()
