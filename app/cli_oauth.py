"""Admin commands for users, memberships, OAuth clients and grants (oauth.md §2.4), registered
from app/cli.py. Passwords come from a no-echo prompt or stdin, never an argument; lists show
no hashes or secrets. Exit 0 done, 1 refused (unknown name or id, last owner, duplicate)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from app.domain.clock import format_timestamp
from app.domain.scopes import render_scope
from app.services.grants import GrantService
from app.services.oauth_clients import ClientAdminError, ClientRegistry
from app.services.users import UserAdminError, UserService
from app.storage.protocols import Storage

COMMANDS = frozenset({"users", "members", "oauth-clients", "grants"})
REFUSALS = (UserAdminError, ClientAdminError)
Action = Callable[[Storage], Awaitable[int]]


def add_parsers(commands: Any) -> None:
    users = commands.add_parser("users", help="manage users").add_subparsers(
        dest="action", required=True
    )
    create = users.add_parser("create", help="create a user (password prompted or from stdin)")
    create.add_argument("--email", required=True)
    create.add_argument("--workspace", help="also add to this workspace (id) with --role")
    create.add_argument("--role", choices=("owner", "admin", "editor", "viewer"))
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    users.add_parser("list", help="list users and their roles (no hashes)")
    set_password = users.add_parser("set-password", help="change a password (ends sessions)")
    set_password.add_argument("--email", required=True)
    set_password.add_argument("--password-stdin", action="store_true")
    for name, text in (("disable", "disable (ends sessions; tokens fail)"), ("enable", "enable")):
        users.add_parser(name, help=text).add_argument("--email", required=True)

    members = commands.add_parser("members", help="manage workspace roles").add_subparsers(
        dest="action", required=True
    )
    for name, text in (("add", "give a user a role"), ("set-role", "change a user's role")):
        parser = members.add_parser(name, help=text)
        parser.add_argument("--workspace", required=True, help="workspace id")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=("owner", "admin", "editor", "viewer"))
    remove = members.add_parser("remove", help="remove a member (revokes their grants there)")
    remove.add_argument("--workspace", required=True, help="workspace id")
    remove.add_argument("--email", required=True)

    clients = commands.add_parser("oauth-clients", help="manage OAuth clients").add_subparsers(
        dest="action", required=True
    )
    client_create = clients.add_parser("create", help="register a client (secret printed once)")
    client_create.add_argument("--name", required=True)
    client_create.add_argument(
        "--redirect-uri", required=True, action="append", dest="redirect_uris"
    )
    client_create.add_argument("--public", action="store_true", help="no secret (PKCE only)")
    client_create.add_argument(
        "--no-pkce", action="store_true", help="confidential clients only (e.g. n8n)"
    )
    client_create.add_argument("--scope", help="default scope when a request names none")
    clients.add_parser("list", help="list clients (no secrets)")
    client_delete = clients.add_parser("delete", help="delete a client and revoke its grants")
    client_delete.add_argument("client_id")

    grants = commands.add_parser("grants", help="connected apps").add_subparsers(
        dest="action", required=True
    )
    grant_list = grants.add_parser("list", help="list grants")
    grant_list.add_argument("--email")
    grant_list.add_argument("--workspace", help="workspace id")
    grant_revoke = grants.add_parser("revoke", help="revoke a grant and all its tokens")
    grant_revoke.add_argument("grant_id")


def read_password(from_stdin: bool) -> str:
    """One line from stdin, or a no-echo prompt asked twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise UserAdminError("the passwords differ")
    return first


def _refused(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def action(args: argparse.Namespace) -> Action:
    """The command's work; a password is read here, before the database is opened."""
    password = None
    if args.command == "users" and args.action in ("create", "set-password"):
        password = read_password(args.password_stdin)
    handlers = {
        "users": _users,
        "members": _members,
        "oauth-clients": _clients,
        "grants": _grants,
    }
    handler = handlers[args.command]

    async def run(storage: Storage) -> int:
        try:
            return await handler(storage, args, password)
        except REFUSALS as exc:
            return _refused(str(exc))

    return run


async def _users(storage: Storage, args: argparse.Namespace, password: str | None) -> int:
    users = UserService(storage)
    if args.action == "create":
        if (args.workspace is None) != (args.role is None):
            return _refused("--workspace and --role go together")
        if args.workspace is not None and await storage.workspaces.get(args.workspace) is None:
            return _refused(f"no workspace {args.workspace}")
        user = await users.create_user(args.email, password)
        if args.workspace is not None:
            await users.add_member(args.workspace, user.email, args.role)
        print(f"{user.id}\t{user.email}")
    elif args.action == "list":
        for user, memberships in await users.list_users():
            state = "disabled" if user.disabled else "active"
            roles = ",".join(f"{m.workspace_id}:{m.role}" for m in memberships)
            print(f"{user.id}\t{user.email}\t{state}\t{roles}")
    elif args.action == "set-password":
        assert password is not None
        user = await users.set_password(args.email, password)
        print(f"{user.email}\tpassword changed; sessions ended")
    else:
        user = await users.set_disabled(args.email, args.action == "disable")
        print(f"{user.email}\t{'disabled' if user.disabled else 'active'}")
    return 0


async def _members(storage: Storage, args: argparse.Namespace, _: str | None) -> int:
    users = UserService(storage)
    if args.action == "add":
        membership = await users.add_member(args.workspace, args.email, args.role)
    elif args.action == "set-role":
        membership = await users.set_role(args.workspace, args.email, args.role)
    else:
        revoked = await users.remove_member(args.workspace, args.email)
        print(
            f"{args.workspace}\t{args.email.strip().lower()}\tremoved\t{revoked} grant(s) revoked"
        )
        return 0
    print(f"{membership.workspace_id}\t{args.email.strip().lower()}\t{membership.role}")
    return 0


async def _clients(storage: Storage, args: argparse.Namespace, _: str | None) -> int:
    registry = ClientRegistry(storage)
    if args.action == "create":
        if args.no_pkce and args.public:
            return _refused("--no-pkce needs a confidential client (drop --public)")
        registered = await registry.create(
            name=args.name,
            redirect_uris=args.redirect_uris,
            public=args.public,
            require_pkce=not args.no_pkce,
            scope=args.scope,
        )
        if registered.secret is None:
            print(registered.client.client_id)
        else:
            print(f"{registered.client.client_id}\t{registered.secret}")
            print("Store this secret now: only its digest is kept.", file=sys.stderr)
    elif args.action == "list":
        for client in await registry.list():
            kind = "confidential" if client.confidential else "public"
            pkce = "pkce" if client.require_pkce else "no-pkce"
            origin = "dynamic" if client.dynamic else "admin"
            uris = " ".join(client.redirect_uris)
            print(f"{client.client_id}\t{client.name}\t{kind}\t{pkce}\t{origin}\t{uris}")
    else:
        revoked = await registry.delete(args.client_id)
        if revoked is None:
            return _refused(f"no client {args.client_id}")
        print(f"{args.client_id}\tdeleted\t{revoked} grant(s) revoked")
    return 0


async def _grants(storage: Storage, args: argparse.Namespace, _: str | None) -> int:
    grants = GrantService(storage)
    if args.action == "revoke":
        if await grants.revoke(args.grant_id) is None:
            return _refused(f"no grant {args.grant_id}")
        print(f"{args.grant_id}\trevoked")
        return 0
    user_id = None
    if args.email is not None:
        user = await UserService(storage).find_user(args.email)
        if user is None:
            return _refused(f"no user {args.email.strip().lower()}")
        user_id = user.id
    emails = {u.id: u.email for u in await storage.users.list_all()}
    for view in await grants.list(user_id=user_id, workspace_id=args.workspace):
        grant = view.grant
        used = format_timestamp(grant.last_used_at) if grant.last_used_at else "never"
        print(
            f"{grant.id}\t{emails.get(grant.user_id, grant.user_id)}\t{grant.workspace_id}"
            f"\t{grant.client_id}\t{render_scope(grant.scope)}"
            f"\tapproved {format_timestamp(grant.approved_at)}\tlast used {used}"
        )
    return 0
