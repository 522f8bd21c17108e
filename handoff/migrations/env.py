"""Alembic environment: migrates the database whose URL the caller put in the config."""

from alembic import context

from handoff import models  # noqa: F401 - registers the tables on Base.metadata
from handoff.db import Base, make_engine

config = context.config
connectable = config.attributes.get("connection")

if connectable is None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
else:
    context.configure(connection=connectable, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
