"""Entry points: serve (default), seed, openapi, and the admin commands for workspaces and keys."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from app import cli_oauth
from app.domain.clock import format_timestamp, utc_now
from app.domain.errors import ServiceUnavailable
from app.event_loops import run_on
from app.gc_setup import configure_gc
from app.logging_setup import configure_logging
from app.services.seeding import seed_reference_data
from app.services.tenants import BootstrapError, TenantAdmin
from app.settings import Settings
from app.storage.mongo.embedded import EmbeddedDatabaseError
from app.storage.opening import opened_storage
from app.storage.protocols import DuplicateWorkspaceName, Storage


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="Product catalogue API. Without a command: serve on HOST:PORT. "
        "Admin commands act on MONGODB_URI, or else on the embedded database in EMBEDDED_DB_PATH "
        "(the running service's, or started for the command and stopped after it).",
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the API (the default)")
    commands.add_parser("seed", help="upsert category templates and plans into the database")
    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", type=Path, default=Path("openapi/openapi.json"))

    workspaces = commands.add_parser("workspaces", help="manage workspaces").add_subparsers(
        dest="action", required=True
    )
    create = workspaces.add_parser("create", help="create a workspace")
    create.add_argument("--name", required=True)
    create.add_argument("--plan", default="free")
    create.add_argument("--locale", default="en", help="default sourceLocale (ISO 639-1)")
    workspaces.add_parser("list", help="list workspaces")

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="action", required=True
    )
    key_create = keys.add_parser("create", help="create a key (printed once)")
    key_create.add_argument("--workspace", required=True, help="workspace id")
    key_create.add_argument("--label")
    key_list = keys.add_parser("list", help="list a workspace's keys (prefixes only)")
    key_list.add_argument("--workspace", required=True, help="workspace id")
    revoke = keys.add_parser("revoke", help="revoke a key (effective within 30 s)")
    revoke.add_argument("key_id")
    cli_oauth.add_parsers(commands)
    return parser


def serve(settings: Settings) -> int:
    from app.http.app import create_app
    from app.http.server import serve as serve_app

    configure_gc()
    try:
        run_on(
            settings.event_loop,
            serve_app(
                create_app(settings),
                settings.host,
                settings.port,
                shutdown_grace_seconds=settings.shutdown_grace_seconds,
                announce=lambda text: print(text, flush=True),
            ),
        )
    except EmbeddedDatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


async def _with_storage(settings: Settings, action: Callable[[Storage], Awaitable[int]]) -> int:
    async with opened_storage(settings, "cli") as storage:
        await storage.prepare()
        return await action(storage)


async def _seed(storage: Storage) -> int:
    for template in await seed_reference_data(storage):
        print(f"{template.slug}: {len(template.fields)} fields (templateId {template.template_id})")
    print(f"plans: {len(await storage.plans.list_all())}")
    return 0


def _admin(args: argparse.Namespace) -> Callable[[Storage], Awaitable[int]]:
    async def run(storage: Storage) -> int:
        admin = TenantAdmin(storage)
        if args.command == "workspaces" and args.action == "create":
            ws = await admin.create_workspace(args.name, args.plan, args.locale)
            print(f"{ws.id}\t{ws.name}\tplan={ws.plan}\tlocale={ws.default_source_locale}")
        elif args.command == "workspaces":
            for ws in await storage.workspaces.list_all():
                print(f"{ws.id}\t{ws.name}\tplan={ws.plan}\tlocale={ws.default_source_locale}")
        elif args.action == "create":
            workspace = await storage.workspaces.get(args.workspace)
            if workspace is None:
                print(f"no workspace {args.workspace}", file=sys.stderr)
                return 1
            issued = await admin.issue_key(workspace, args.label)
            print(f"{issued.record.id}\t{issued.key}")
            print("Store this key now: only its digest is kept.", file=sys.stderr)
        elif args.action == "list":
            for key in await storage.api_keys.list_for_workspace(args.workspace):
                state = "revoked" if key.revoked_at else "active"
                print(f"{key.id}\t{key.prefix}…\t{state}\t{key.label or ''}")
        else:
            record = await storage.api_keys.revoke(args.key_id, utc_now())
            if record is None:
                print(f"no key {args.key_id}", file=sys.stderr)
                return 1
            when = format_timestamp(record.revoked_at) if record.revoked_at else ""
            print(f"{record.id}\trevoked {when}")
        return 0

    return run


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    command = args.command or "serve"
    if command == "serve":
        return serve(settings)
    if command == "openapi":
        from app.http.openapi import render_openapi

        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_bytes(render_openapi())
        print(f"wrote {args.output}")
        return 0
    if settings.in_memory:
        print(
            "STORAGE=memory: the in-memory store lives inside the server process; admin commands "
            "work on MONGODB_URI or the embedded database (unset STORAGE)",
            file=sys.stderr,
        )
        return 2
    if command in cli_oauth.COMMANDS:
        try:
            action = cli_oauth.action(args)
        except cli_oauth.REFUSALS as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    else:
        action = _seed if command == "seed" else _admin(args)
    try:
        return asyncio.run(_with_storage(settings, action))
    except (BootstrapError, DuplicateWorkspaceName) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ServiceUnavailable:
        where = "MONGODB_URI" if settings.mongodb_uri else "the embedded database"
        print(f"error: MongoDB is unreachable at {where}", file=sys.stderr)
        return 1
    except EmbeddedDatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
