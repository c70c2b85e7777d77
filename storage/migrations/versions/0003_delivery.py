"""Delivery that holds: blocked channels, channel leases, an inbound queue, root digests

Revision ID: 0003_delivery
Revises: 0002_sla
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types
from bot.vocabulary import OutboxState, Platform

revision: str = "0003_delivery"
down_revision: str | None = "0002_sla"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blocked_channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", storage.types.EnumText(Platform, 20), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("since", storage.types.UTCDateTime(), nullable=False),
        sa.Column("next_probe_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("probes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "channel"),
    )
    op.create_table(
        "channel_lease",
        sa.Column("platform", storage.types.EnumText(Platform, 20), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("until", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "channel"),
    )
    op.create_table(
        "inbound_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", storage.types.EnumText(Platform, 20), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", storage.types.EnumText(OutboxState, 20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("claimed_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "event_id"),
    )
    op.create_index("ix_inbound_queue_pending", "inbound_queue", ["state", "next_attempt_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
    with op.batch_alter_table("threadlink") as batch:
        batch.add_column(
            sa.Column(
                "root_digest",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
        batch.add_column(sa.Column("notice", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("threadlink") as batch:
        batch.drop_column("notice")
        batch.drop_column("root_digest")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("department")
    op.drop_index("ix_inbound_queue_pending", table_name="inbound_queue")
    op.drop_table("inbound_queue")
    op.drop_table("channel_lease")
    op.drop_table("blocked_channel")
