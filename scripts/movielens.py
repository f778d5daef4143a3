"""Convert MovieLens ml-latest-small into memfeed's generic import files: a recipe, not part of the service.

    python scripts/movielens.py --src ../shared/data/ml-latest-small --out var/movielens && memfeed import --items var/movielens/items.csv --events var/movielens/events.csv

`--src` defaults to the environment variable MEMFEED_MOVIELENS_DIR. The dataset is never copied into the
repository: only the two converted files are written, under `--out`.

Mapping:
- items.csv: item_id `ml-<movieId>`, the title, text "Genres: A, B. Tags: x, y." (the distinct tags users gave
  the movie, most used first, at most 20), tags = the genres separated by `|`, category = the first genre.
  A movie with "(no genres listed)" gets no genre tags and no category. published_at = January 1st of the
  release year in the title ("Heat (1995)"), so memfeed's freshness prior knows new releases from old ones;
  empty when the title has no year.
- events.csv: user_id `u<userId>`, item_id `ml-<movieId>`, timestamp in Unix seconds, event_id
  `ml-<userId>-<movieId>` (so a re-import adds nothing). A rating >= 3.5 becomes a `like` with no value;
  a lower one stays a `rating` with its value, which memfeed's profile weighs as (value - 3) / 2: 0.5-2.5
  push away, 3 is neutral.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LIKE_THRESHOLD = 3.5
MAX_TAGS = 20
NO_GENRES = "(no genres listed)"
ENV_DIR = "MEMFEED_MOVIELENS_DIR"


@dataclass
class Counts:
    items: int = 0
    events: int = 0
    likes: int = 0
    ratings: int = 0


def user_tags(tags_csv: Path) -> dict[str, list[str]]:
    """Per movieId, its distinct tags (case-insensitive), most used first, then in order of first use."""
    counts: dict[str, Counter[str]] = {}
    spelling: dict[tuple[str, str], str] = {}
    with tags_csv.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            tag = " ".join(row["tag"].split())
            if not tag:
                continue
            key = (row["movieId"], tag.lower())
            spelling.setdefault(key, tag)
            counts.setdefault(row["movieId"], Counter())[tag.lower()] += 1
    return {
        movie: [spelling[(movie, tag)] for tag, _ in counter.most_common(MAX_TAGS)]
        for movie, counter in counts.items()
    }


YEAR = re.compile(r"\((\d{4})\)\s*$")


def item_row(movie: dict[str, str], tags: list[str]) -> list[str]:
    genres = [] if movie["genres"] == NO_GENRES else [g for g in movie["genres"].split("|") if g]
    sentences = []
    if genres:
        sentences.append(f"Genres: {', '.join(genres)}.")
    if tags:
        sentences.append(f"Tags: {', '.join(tags)}.")
    year = YEAR.search(movie["title"])
    return [
        f"ml-{movie['movieId']}",
        movie["title"],
        " ".join(sentences),
        "|".join(genres),
        genres[0] if genres else "",
        f"{year.group(1)}-01-01T00:00:00Z" if year else "",
    ]


def event_row(rating: dict[str, str]) -> list[str]:
    value = float(rating["rating"])
    liked = value >= LIKE_THRESHOLD
    return [
        f"ml-{rating['userId']}-{rating['movieId']}",
        f"u{rating['userId']}",
        f"ml-{rating['movieId']}",
        rating["timestamp"],
        "like" if liked else "rating",
        "" if liked else f"{value:g}",
    ]


def convert(src: Path, out: Path) -> Counts:
    """Write items.csv and events.csv under `out`, streaming ratings row by row."""
    for name in ("movies.csv", "ratings.csv", "tags.csv"):
        if not (src / name).is_file():
            raise FileNotFoundError(f"{src / name} not found: is --src a MovieLens ml-latest-small folder?")
    out.mkdir(parents=True, exist_ok=True)
    counts = Counts()
    tags = user_tags(src / "tags.csv")
    with (
        (src / "movies.csv").open(newline="", encoding="utf-8") as movies,
        (out / "items.csv").open("w", newline="", encoding="utf-8") as items,
    ):
        writer = csv.writer(items)
        writer.writerow(["item_id", "title", "text", "tags", "category", "published_at"])
        for movie in csv.DictReader(movies):
            writer.writerow(item_row(movie, tags.get(movie["movieId"], [])))
            counts.items += 1
    with (
        (src / "ratings.csv").open(newline="", encoding="utf-8") as ratings,
        (out / "events.csv").open("w", newline="", encoding="utf-8") as events,
    ):
        writer = csv.writer(events)
        writer.writerow(["event_id", "user_id", "item_id", "timestamp", "type", "value"])
        for rating in csv.DictReader(ratings):
            row = event_row(rating)
            writer.writerow(row)
            counts.events += 1
            if row[4] == "like":
                counts.likes += 1
            else:
                counts.ratings += 1
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--src", type=Path, default=None, help=f"the MovieLens folder (default ${ENV_DIR})")
    parser.add_argument("--out", type=Path, required=True, help="where items.csv and events.csv go")
    args = parser.parse_args(argv)
    src = args.src or (Path(os.environ[ENV_DIR]) if os.environ.get(ENV_DIR) else None)
    if src is None:
        parser.error(f"give --src or set {ENV_DIR}")
    try:
        counts = convert(src, args.out)
    except FileNotFoundError as exc:
        parser.error(str(exc))
    print(
        f"wrote {counts.items} items to {args.out / 'items.csv'} and {counts.events} events "
        f"({counts.likes} likes, {counts.ratings} ratings) to {args.out / 'events.csv'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
