"""Alembic environment: migrates the database whose URL handoff.migrate put in the config, or,
from Alembic's CLI (handoff/alembic.ini), the one HANDOFF_DATABASE_URL names."""

import os

from alembic import context

from handoff import models  # noqa: F401 - registers the tables on Base.metadata
from handoff.db import Base, make_engine

# Expression indexes are written by hand in the migrations; autogenerate cannot compare them.
HAND_WRITTEN_INDEXES = {"ix_handoffs_queue"}


def include_object(
    obj: object, name: str | None, kind: str, reflected: bool, compare_to: object
) -> bool:
    return not (kind == "index" and name in HAND_WRITTEN_INDEXES)


url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(
    "HANDOFF_DATABASE_URL", "sqlite:///var/handoff.db")
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
