"""teams' public holidays (country, subdivision) and closed dates

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("subdivision", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("closed_dates", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("closed_dates")
        batch_op.drop_column("subdivision")
        batch_op.drop_column("country")
