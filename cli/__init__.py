"""The `memfeed` command (Typer), one module per command group; the only place that wires api and pipelines."""
