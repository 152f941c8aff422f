"""The lasting reference index (SQLite, Redis) and the CI gate `check` built on it."""
