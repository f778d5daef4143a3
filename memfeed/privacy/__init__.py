"""A user's data rights: export, erasure with an audit log, and suppression of erased users in loaded models."""
