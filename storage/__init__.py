"""Persistence: sqlmodel tables, the database engine, repositories and migrations."""
