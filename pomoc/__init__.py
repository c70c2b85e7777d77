"""Composition root and command line of Pomoc."""
