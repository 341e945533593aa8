"""Alembic environment: migrations run online against the configured URL."""

from alembic import context
from sqlalchemy import create_engine, pool

import models  # noqa: F401  (registers every table on the metadata)
from models.base import Base

config = context.config


def run_migrations_online() -> None:
    """Run the migrations in one transaction per revision."""
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them online")
run_migrations_online()
