"""Whole files in and out: CSV/Parquet import of items and events, batch recommendations to CSV."""
