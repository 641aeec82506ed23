"""The admin CLI for users, members, OAuth clients and grants (oauth.md §2.4), end to end as
real processes against a running service's embedded database: every command's effect is seen
through the API (tokens stop working at once with AUTH_CACHE_SECONDS=0)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp

from app.domain.pkce import s256
from app.services.oauth import AuthorizationServer
from app.services.users import UserService
from app.settings import Settings
from app.storage.opening import opened_storage
from bench.crash import EmbeddedService
from tests.conftest import pkce_verifier, remember_secret
from tests.test_cli import cli

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "cli password number one"
NEW_PASSWORD = "cli password number two"


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert reason in result.stderr, result.stderr


async def access_token(
    service: EmbeddedService, data_dir: Path, client_id: str, email: str, workspace_id: str
) -> str:
    """Approve (the consent page's service call, on the service's own database), then redeem the
    code at the running service's token endpoint."""
    settings = Settings(_env_file=None, embedded_db_path=data_dir)  # type: ignore[call-arg]
    verifier = pkce_verifier()
    params = {
        "response_type": ["code"],
        "client_id": [client_id],
        "redirect_uri": ["http://127.0.0.1/cb"],
        "scope": ["passports:read passports:write"],
        "code_challenge": [s256(verifier)],
        "code_challenge_method": ["S256"],
    }
    async with opened_storage(settings, "cli") as storage:
        server = AuthorizationServer(storage, service.base_url)
        client, redirect = await server.client_for_request(params)
        request = server.check_request(client, redirect, params)
        user = await UserService(storage).find_user(email)
        assert user is not None
        _, code = await server.approve(user.id, workspace_id, request)
    remember_secret(code)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "client_id": client_id,
    }
    async with (
        aiohttp.ClientSession(service.base_url) as session,
        session.post("/api/oauth/token", data=form) as response,
    ):
        body = await response.json()
        assert response.status == 200, body
    remember_secret(body["access_token"])
    return str(body["access_token"])


async def status_with(service: EmbeddedService, token: str) -> int:
    async with (
        aiohttp.ClientSession(service.base_url) as session,
        session.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        return response.status


async def test_user_member_client_and_grant_commands(tmp_path: Path) -> None:
    remember_secret(PASSWORD)
    remember_secret(NEW_PASSWORD)
    data_dir = tmp_path / "db"
    service = EmbeddedService(data_dir)
    service.env["AUTH_CACHE_SECONDS"] = "0"
    await service.start()
    try:
        workspace_id = next(
            line.split("\t")[0]
            for line in ok(cli(data_dir, "workspaces", "list")).splitlines()
            if "\tCrash\t" in line
        )
        # Users: passwords from stdin, never an argument; duplicates refused.
        created = ok(
            cli(
                data_dir,
                *("users", "create", "--email", "Ada@Acme.example", "--password-stdin"),
                *("--workspace", workspace_id, "--role", "viewer"),
                stdin=PASSWORD + "\n",
            )
        )
        assert created.strip().endswith("\tada@acme.example")
        refused(
            cli(
                data_dir,
                "users",
                "create",
                "--email",
                "ada@acme.example",
                "--password-stdin",
                stdin=PASSWORD + "\n",
            ),
            "already exists",
        )
        refused(
            cli(
                data_dir,
                "users",
                "create",
                "--email",
                "x@acme.example",
                "--password-stdin",
                stdin="short\n",
            ),
            "12-256",
        )
        ok(
            cli(
                data_dir,
                "users",
                "create",
                "--email",
                "bob@acme.example",
                "--password-stdin",
                "--workspace",
                workspace_id,
                "--role",
                "owner",
                stdin=PASSWORD + "\n",
            )
        )
        listed = ok(cli(data_dir, "users", "list"))
        assert f"ada@acme.example\tactive\t{workspace_id}:viewer" in listed
        assert "argon2" not in listed and PASSWORD not in listed

        # Members: roles, the last owner, unknown names.
        def member(
            action: str, email: str, role: str | None = None
        ) -> subprocess.CompletedProcess[str]:
            given_role = () if role is None else ("--role", role)
            return cli(
                data_dir,
                "members",
                action,
                "--workspace",
                workspace_id,
                "--email",
                email,
                *given_role,
            )

        assert "\tada@acme.example\teditor" in ok(member("set-role", "ada@acme.example", "editor"))
        refused(member("set-role", "bob@acme.example", "admin"), "last owner")
        refused(member("add", "nobody@acme.example", "viewer"), "no user")
        refused(member("add", "ada@acme.example", "viewer"), "already a member")

        # Clients: the secret printed once, never listed; --no-pkce needs a secret.
        client_id = ok(
            cli(
                data_dir,
                "oauth-clients",
                "create",
                "--name",
                "Script",
                "--redirect-uri",
                "http://127.0.0.1/cb",
                "--public",
            )
        ).strip()
        confidential_id, secret = (
            ok(
                cli(
                    data_dir,
                    "oauth-clients",
                    "create",
                    "--name",
                    "n8n",
                    "--no-pkce",
                    "--redirect-uri",
                    "https://n8n.acme.example/rest/oauth2-credential/callback",
                )
            )
            .strip()
            .split("\t")
        )
        remember_secret(secret)
        assert secret.startswith("tpcs_")
        refused(
            cli(
                data_dir,
                "oauth-clients",
                "create",
                "--name",
                "x",
                "--public",
                "--no-pkce",
                "--redirect-uri",
                "http://127.0.0.1/cb",
            ),
            "--no-pkce",
        )
        refused(
            cli(
                data_dir,
                "oauth-clients",
                "create",
                "--name",
                "x",
                "--redirect-uri",
                "http://insecure.example/cb",
            ),
            "https",
        )
        clients = ok(cli(data_dir, "oauth-clients", "list"))
        assert f"{client_id}\tScript\tpublic\tpkce" in clients
        assert f"{confidential_id}\tn8n\tconfidential\tno-pkce" in clients
        assert secret not in clients

        # Grants and what the user commands do to tokens.
        token = await access_token(service, data_dir, client_id, "ada@acme.example", workspace_id)
        assert await status_with(service, token) == 200
        [grant_line] = ok(
            cli(data_dir, "grants", "list", "--email", "ada@acme.example")
        ).splitlines()
        grant_id = grant_line.split("\t")[0]
        assert (
            f"\tada@acme.example\t{workspace_id}\t{client_id}\tpassports:read passports:write"
            in grant_line
        )
        assert ok(cli(data_dir, "grants", "list", "--workspace", "0" * 24)) == ""

        ok(cli(data_dir, "users", "disable", "--email", "ada@acme.example"))
        assert await status_with(service, token) == 401
        ok(cli(data_dir, "users", "enable", "--email", "ada@acme.example"))
        assert await status_with(service, token) == 200

        ok(
            cli(
                data_dir,
                "users",
                "set-password",
                "--email",
                "ada@acme.example",
                "--password-stdin",
                stdin=NEW_PASSWORD + "\n",
            )
        )
        settings = Settings(_env_file=None, embedded_db_path=data_dir)  # type: ignore[call-arg]
        async with opened_storage(settings, "cli") as storage:
            users = UserService(storage)
            assert await users.authenticate("ada@acme.example", PASSWORD) is None
            changed = await users.authenticate("ada@acme.example", NEW_PASSWORD)
            assert changed is not None and changed.session_version == 2  # disable, set-password

        assert ok(cli(data_dir, "grants", "revoke", grant_id)).startswith(grant_id)
        assert await status_with(service, token) == 401
        refused(cli(data_dir, "grants", "revoke", grant_id), "no grant")

        token = await access_token(service, data_dir, client_id, "ada@acme.example", workspace_id)
        assert "1 grant(s) revoked" in ok(cli(data_dir, "oauth-clients", "delete", client_id))
        assert await status_with(service, token) == 401
        refused(cli(data_dir, "oauth-clients", "delete", client_id), "no client")

        other_id = ok(
            cli(
                data_dir,
                "oauth-clients",
                "create",
                "--name",
                "Other",
                "--redirect-uri",
                "http://127.0.0.1/cb",
                "--public",
            )
        ).strip()
        token = await access_token(service, data_dir, other_id, "ada@acme.example", workspace_id)
        removed = ok(member("remove", "ada@acme.example"))
        assert "1 grant(s) revoked" in removed
        assert await status_with(service, token) == 401
        refused(member("remove", "bob@acme.example"), "last owner")
    finally:
        assert service.stop() == 0


def test_oauth_commands_refuse_the_in_memory_store() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "users", "list"],
        cwd=ROOT,
        env={**os.environ, "STORAGE": "memory"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "STORAGE=memory" in result.stderr


def test_help_lists_the_oauth_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("users", "members", "oauth-clients", "grants"):
        assert command in result.stdout
