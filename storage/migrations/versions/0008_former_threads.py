"""Former threads: where a ticket lived before an agent moved it to another department (issue 19)

Revision ID: 0008_former_threads
Revises: 0007_ratings
Create Date: 2026-12-01 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types
from bot.vocabulary import Platform

revision: str = "0008_former_threads"
down_revision: str | None = "0007_ratings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "former_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("platform", storage.types.EnumText(Platform, 20), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("thread_id", sa.String(length=255), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("moved_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "channel", "thread_id"),
    )
    op.create_index(op.f("ix_former_thread_ticket_id"), "former_thread", ["ticket_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_former_thread_ticket_id"), table_name="former_thread")
    op.drop_table("former_thread")
