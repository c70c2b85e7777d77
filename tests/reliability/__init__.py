"""Reliability tests: several outbox workers, crashes, database restarts, SIGKILL."""
