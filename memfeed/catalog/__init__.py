"""The catalog: items, their embeddings, and the live in-memory view (cards plus vector index) that serves them."""
