"""The shop platform's integration: idempotency, sessions, uploads, webhooks (issue 17)

Revision ID: 0004_platform
Revises: 0003_delivery
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0004_platform"
down_revision: str | None = "0003_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Instant = storage.types.UTCDateTime


def _shop_token_table(name: str, *columns: sa.Column[object]) -> None:
    """A table of hashed single-use tokens belonging to a shop (sessions, links, uploads)."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", String(length=64), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        *columns,
        sa.Column("created_at", Instant(), nullable=False),
        sa.Column("expires_at", Instant(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shop.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f(f"ix_{name}_expires_at"), name, ["expires_at"], unique=False)
    op.create_index(op.f(f"ix_{name}_shop_id"), name, ["shop_id"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("shop") as batch:
        batch.add_column(sa.Column("external_id", String(length=100), nullable=True))
        batch.add_column(sa.Column("plan", String(length=50), nullable=True))
        batch.create_unique_constraint("uq_shop_external_id", ["external_id"])
    _shop_token_table("web_session")
    _shop_token_table("login_link", sa.Column("used_at", Instant(), nullable=True))
    _shop_token_table(
        "upload",
        sa.Column("filename", String(length=255), nullable=False),
        sa.Column("content_type", String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", String(length=64), nullable=False),
        sa.Column("storage_key", String(length=300), nullable=False),
    )
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("principal", String(length=100), nullable=False),
        sa.Column("key", String(length=255), nullable=False),
        sa.Column("request_hash", String(length=64), nullable=False),
        sa.Column("state", String(length=20), nullable=False),
        sa.Column("locked_until", Instant(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", Instant(), nullable=False),
        sa.Column("expires_at", Instant(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("principal", "key"),
    )
    op.create_index(
        op.f("ix_idempotency_key_expires_at"), "idempotency_key", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_key_expires_at"), table_name="idempotency_key")
    op.drop_table("idempotency_key")
    for name in ("upload", "login_link", "web_session"):
        op.drop_index(op.f(f"ix_{name}_shop_id"), table_name=name)
        op.drop_index(op.f(f"ix_{name}_expires_at"), table_name=name)
        op.drop_table(name)
    with op.batch_alter_table("shop") as batch:
        batch.drop_constraint("uq_shop_external_id", type_="unique")
        batch.drop_column("plan")
        batch.drop_column("external_id")
