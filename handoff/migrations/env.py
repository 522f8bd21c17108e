"""Alembic environment: migrates the database whose URL handoff.migrate put in the config."""

from alembic import context

from handoff import models  # noqa: F401 - registers the tables on Base.metadata
from handoff.db import Base, make_engine

# Expression indexes are written by hand in the migrations; autogenerate cannot compare them.
HAND_WRITTEN_INDEXES = {"ix_handoffs_queue"}


def include_object(
    obj: object, name: str | None, kind: str, reflected: bool, compare_to: object
) -> bool:
    return not (kind == "index" and name in HAND_WRITTEN_INDEXES)


engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
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
