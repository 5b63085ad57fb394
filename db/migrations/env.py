"""Alembic environment: runs on the connection `db.migrate` hands over.

There is no alembic.ini; `db.migrate` builds the Config and puts an open (sync facade of
an async) connection in `config.attributes["connection"]`, inside its transaction.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: later migrations rewrite tables in batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported; use db.migrate")
    connection = config.attributes.get("connection")
    if connection is None:
        raise SystemExit("run migrations through db.migrate (python -m db.migrate upgrade)")
    run_migrations(connection)


main()
