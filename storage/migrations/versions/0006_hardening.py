"""Hardening: limits and live updates (issue 18)

Revision ID: 0006_hardening
Revises: 0005_bridge
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

revision: str = "0006_hardening"
down_revision: str | None = "0005_bridge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
