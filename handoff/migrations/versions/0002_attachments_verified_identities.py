"""attachments, channel moves; contacts linked on verified identities only

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:08:23.671066

Before 0002, a typed email, phone number or order number linked contacts. Those identities were
never verified, so they are deleted; what was typed stays in each handoff's context.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("from_conversation_id", sa.String(length=255), nullable=False),
        sa.Column("from_channel", sa.String(length=64), nullable=False),
        sa.Column("opening_text", sa.Text(), nullable=True),
        sa.Column("offered_at", sa.Float(), nullable=False),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("channel_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_moves_conversation_id"), ["conversation_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_channel_moves_handoff_id"), ["handoff_id"],
                              unique=False)
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=2000), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handoff_id", "ref", name="uq_attachment_ref"),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_handoff_id"), ["handoff_id"],
                              unique=False)
    op.execute("DELETE FROM contact_identities WHERE kind IN ('email', 'phone', 'order')")


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_handoff_id"))
    op.drop_table("attachments")
    with op.batch_alter_table("channel_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_moves_handoff_id"))
        batch_op.drop_index(batch_op.f("ix_channel_moves_conversation_id"))
    op.drop_table("channel_moves")
