"""Retraining: load, evaluate against baselines, decide, publish; runs started from the API or the CLI."""
