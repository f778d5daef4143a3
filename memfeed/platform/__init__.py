"""What every domain stands on: settings, errors, input types, telemetry, logs, threads, caches, rate limits, auth, signing and storage. Knows no domain."""
