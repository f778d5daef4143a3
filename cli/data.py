"""`memfeed import`, `memfeed eval` and `memfeed recommend`: files in, evaluations and recommendations out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.serving import migrate
from memfeed.platform.settings import get_settings


def import_(
    events: Annotated[
        Path,
        typer.Option(help="events, .csv or .parquet: user_id,item_id,timestamp[,type][,value][,event_id]"),
    ],
    items: Annotated[
        Path | None,
        typer.Option(
            help="items, imported first, .csv or .parquet: "
            "item_id,title[,text][,tags][,category][,published_at][,available]"
        ),
    ] = None,
) -> None:
    """Import items, then events, through the API's validation; bad rows are listed by line, good ones kept."""
    from memfeed.bulk.importer import import_events, import_items
    from memfeed.platform.errors import InvalidInput
    from memfeed.runtime import build_runtime

    settings = get_settings()
    migrate(settings)
    runtime = build_runtime(settings)
    try:
        if items is not None:
            report = import_items(runtime.catalog, items)
            typer.echo(
                f"items: {report.rows} rows, {report.accepted} upserted, {len(report.rejected)} rejected "
                f"({report.seconds:.1f} s, {report.rate():.0f} rows/s)"
            )
            for line in report.details():
                typer.echo(line)
        report = import_events(runtime.events, events)
        typer.echo(
            f"events: {report.rows} rows, {report.accepted} accepted, {report.duplicates} duplicates, "
            f"{len(report.rejected)} rejected ({report.seconds:.1f} s, {report.rate():.0f} rows/s)"
        )
        for line in report.details():
            typer.echo(line)
    except (InvalidInput, OSError) as exc:
        typer.echo(f"import failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        runtime.close()


def eval_(
    protocol: Annotated[
        list[str] | None,
        typer.Option(help="temporal, last_one or new_items; repeat for several (default: all three)"),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            help="memfeed, most_popular, item_knn, als, ease or content_only; repeat (default: all)"
        ),
    ] = None,
    k: Annotated[int, typer.Option(min=1, max=100, help="list length K")] = 10,
    max_users: Annotated[
        int | None, typer.Option(min=1, help="evaluate at most this many users (fixed-seed sample)")
    ] = None,
    seed: Annotated[int, typer.Option(help="seeds the user sample, the new items, ALS, the bootstrap")] = 0,
    resamples: Annotated[int, typer.Option(min=10, help="bootstrap resamples")] = 1000,
    ease_lambda: Annotated[
        list[float] | None,
        typer.Option(help="EASE lambdas to choose from on validation; repeat (default 50 ... 2000)"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="write JSON here (and the markdown beside it, .md)")
    ] = None,
) -> None:
    """memfeed against the baselines under the per-user protocols, side by side, with bootstrap intervals."""
    import json

    from memfeed.catalog.embedding import load_embedder
    from memfeed.platform.storage.db import open_database
    from memfeed.training.benchmark import EASE_LAMBDAS, MODELS, EvalOptions
    from memfeed.training.protocols import PROTOCOLS
    from memfeed.training.reports import run_eval
    from memfeed.training.retrain import load_training_data

    protocols = tuple(protocol or PROTOCOLS)
    models = tuple(model or MODELS)
    for name, allowed in ((protocols, PROTOCOLS), (models, MODELS)):
        unknown = [n for n in name if n not in allowed]
        if unknown:
            typer.echo(f"unknown: {', '.join(unknown)} (choose from {', '.join(allowed)})", err=True)
            raise typer.Exit(2)
    settings = get_settings()
    migrate(settings)
    embedder = load_embedder(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    with open_database(settings) as database:
        data = load_training_data(database, embedder.embedder_id, embedder.dim)
    if not data.events:
        typer.echo("no events to evaluate: import or send some first", err=True)
        raise typer.Exit(1)
    options = EvalOptions(
        protocols=protocols,
        models=models,
        k=k,
        max_users=max_users,
        seed=seed,
        resamples=resamples,
        holdout_fraction=settings.holdout_fraction,
        ease_lambdas=tuple(ease_lambda or EASE_LAMBDAS),
    )
    report = run_eval(data, settings, options)
    markdown = report.markdown()
    typer.echo(markdown)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.to_dict(), indent=2))
        out.with_suffix(".md").write_text(markdown)
        typer.echo(f"wrote {out} and {out.with_suffix('.md')}")


def recommend(
    users: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="one user_id per line")],
    out: Annotated[Path, typer.Option(help="CSV user_id,rank,item_id,score")],
    k: Annotated[int, typer.Option(min=1, max=100)] = 10,
) -> None:
    """Batch recommendations through the same code path as the feed."""
    from memfeed.bulk.recommend import read_user_ids, write_csv
    from memfeed.bulk.recommend import recommend as recommend_batch
    from memfeed.runtime import build_runtime

    settings = get_settings()
    migrate(settings)
    runtime = build_runtime(settings)
    try:
        count = write_csv(recommend_batch(runtime.feeds, read_user_ids(users), k), out)
    finally:
        runtime.close()
    typer.echo(f"wrote {count} users to {out} (model {runtime.feeds.model_version})")
