"""Satisfaction: the shop's rating of a resolved ticket (issue 19)

Revision ID: 0007_ratings
Revises: 0006_hardening
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007_ratings"
down_revision: str | None = "0006_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", Instant(), nullable=False),
        sa.Column("updated_at", Instant(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shop.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_rating_score"),
    )
    op.create_index(op.f("ix_rating_shop_id"), "rating", ["shop_id"], unique=False)
    op.create_index(op.f("ix_rating_updated_at"), "rating", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rating_updated_at"), table_name="rating")
    op.drop_index(op.f("ix_rating_shop_id"), table_name="rating")
    op.drop_table("rating")
