"""Model versions: immutable folders with manifests and checksums, the champion pointer, and the watcher that hot-swaps it."""
