"""The shop platform's integration: idempotency, sessions, uploads, webhooks (issue 17)

Revision ID: 0004_platform
Revises: 0003_delivery
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

revision: str = "0004_platform"
down_revision: str | None = "0003_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
