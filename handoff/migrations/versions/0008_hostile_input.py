"""What hostile input needs kept: dead letters, and why an agent's message was undeliverable.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("sender_id", sa.String(length=255), nullable=True),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("error_type", sa.String(length=100), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_dead_letters_created_at"), "dead_letters", ["created_at"],
                    unique=False)
    # Why a photo failed was the fetcher's own error text, which could name the address it
    # tried and what that answered: agents see only that it was not fetched.
    op.execute("UPDATE attachments SET error = 'not fetched' WHERE error IS NOT NULL")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("retry_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("undeliverable_reason", sa.String(length=32),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("undeliverable_reason")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("attempts")
    op.drop_index(op.f("ix_dead_letters_created_at"), table_name="dead_letters")
    op.drop_table("dead_letters")
