"""Test doubles: a fake clock, a fake chat adapter, a keyword triager."""
