"""Bridge fidelity: rich text, withdrawn messages, agent links (issue 14)

Revision ID: 0005_bridge
Revises: 0004_platform
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

revision: str = "0005_bridge"
down_revision: str | None = "0004_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
