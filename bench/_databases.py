"""The database a benchmark runs on: a fresh SQLite file, or a fresh schema of its own
on a PostgreSQL server (dropped at the end), so several runs can share the server."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db.session import create_engine


async def pg_admin(url: URL, sql: str) -> None:
    """Run `sql` on the server of `url` with a connection of its own."""
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def open_database(
    database_url: str | None, prefix: str
) -> tuple[AsyncEngine, str, str | None]:
    """(engine, its URL, the PostgreSQL schema made for it or None for a SQLite file)."""
    if database_url is None:
        folder = Path(tempfile.mkdtemp(prefix=f"{prefix}-bench-"))
        database_url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
        return create_engine(database_url), database_url, None
    pg = make_url(database_url)
    schema = f"bench_{secrets.token_hex(4)}"
    await pg_admin(pg, f'CREATE SCHEMA "{schema}"')
    engine = create_engine(pg, connect_args={"server_settings": {"search_path": schema}})
    return engine, database_url, schema


async def drop_schema(database_url: str, schema: str | None) -> None:
    if schema is not None:
        await pg_admin(make_url(database_url), f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
