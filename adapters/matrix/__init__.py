"""The Matrix adapter: `translate` (pure) and `client` (matrix-nio I/O)."""
