"""The Matrix adapter: `translate` (pure), `client` (lifecycle, sends) and `sync` (inbound)."""
