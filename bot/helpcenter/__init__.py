"""The Polish help center shipped with Pomoc: one Markdown article per file."""
