"""Delivery that holds: blocked channels, delivery lanes, inbound queue (issue 15)

Revision ID: 0003_delivery
Revises: 0002_sla
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

revision: str = "0003_delivery"
down_revision: str | None = "0002_sla"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
