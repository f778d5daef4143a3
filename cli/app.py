"""The `memfeed` command line: the root command and its groups, one module per group.

The only place that wires `api` and `pipelines` together with the core (the server, the flows).
"""

from __future__ import annotations

import typer

from cli import data, demo, keys, serving, training
from cli.models import models_app

app = typer.Typer(help="memfeed: personalized feeds and LLM memory for mobile apps.", no_args_is_help=True)
app.command()(serving.serve)
app.add_typer(serving.db_app, name="db")
app.add_typer(keys.keys_app, name="keys")
app.command()(keys.token)
app.command()(demo.demo)
app.command("import")(data.import_)
app.command("eval")(data.eval_)
app.command()(data.recommend)
app.command()(training.retrain)
app.add_typer(models_app, name="models")
app.add_typer(training.pipelines_app, name="pipelines")

if __name__ == "__main__":
    app()
