"""The trained recommender: implicit ALS factors with an exact fold-in, and a version's loaded bundle. numpy in, numpy out; no database."""
