"""Personal feeds and similar items: profile, candidates, ranking, popularity, anchor neighbourhoods, cursors, the page cache."""
