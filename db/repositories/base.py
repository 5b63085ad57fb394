"""What every repository shares: the session it works in, and portable upserts.

Repositories run SQL in the session they are given and never commit: the caller (the
middleware per update, a job per batch) owns the transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction


class Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.sync_session.get_bind().dialect.name

    def insert_stmt(self, entity: Any) -> Any:
        """INSERT with `on_conflict_do_nothing` / `on_conflict_do_update` for this dialect.

        Both dialects spell ON CONFLICT the same way, which keeps a duplicate key from
        raising (and, on PostgreSQL, from aborting the whole transaction).
        """
        if self.dialect == "postgresql":
            return postgresql.insert(entity)
        if self.dialect == "sqlite":
            return sqlite.insert(entity)
        raise NotImplementedError(f"no upsert for dialect {self.dialect!r}")

    def savepoint(self) -> AsyncSessionTransaction:
        """A SAVEPOINT: leaving it by an exception undoes only what was done inside it."""
        return self.session.begin_nested()
