"""the customers' sessions with the bot, for the reports' containment

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("last_message_at", sa.Float(), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "started_at", name="uq_bot_sessions_start"),
    )
    with op.batch_alter_table("bot_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bot_sessions_conversation_id"), ["conversation_id"],
                              unique=False)
        batch_op.create_index("ix_bot_sessions_started", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_table("bot_sessions")
