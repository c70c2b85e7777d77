"""Report indexes: the instants managers' reports count by (issue 19)

Revision ID: 0009_report_indexes
Revises: 0008_former_threads
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_report_indexes"
down_revision: str | None = "0008_former_threads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A report reads a week or a month of a year's rows: without these it scans every ticket and
# message several times (`benchmarks/report_bench.py`).
INDEXES = (
    ("ix_ticket_created_at", "ticket", "created_at"),
    ("ix_ticket_first_response_at", "ticket", "first_response_at"),
    ("ix_ticket_resolved_at", "ticket", "resolved_at"),
    ("ix_ticket_escalated_at", "ticket", "escalated_at"),
    ("ix_message_created_at", "message", "created_at"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
