"""Users and memberships: the admin use cases (CLI, bootstrap) and sign-in for the pages."""

from __future__ import annotations

from app.domain.clock import utc_now
from app.domain.oauth_records import Membership, User
from app.domain.record import record
from app.domain.records import Workspace
from app.domain.users import check_password, is_role, normalize_email
from app.services.grants import GrantService
from app.services.passwords import hash_password, verify_password
from app.storage.protocols import DuplicateEmail, DuplicateMembership, LastOwner, Storage


class UserAdminError(ValueError):
    """A refused admin action (unknown user or workspace, duplicate, last owner, bad input)."""


@record
class WorkspaceRole:
    workspace: Workspace
    role: str


class UserService:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._grants = GrantService(storage)

    # --- sign-in (the login page) ---

    async def authenticate(self, email: str, password: str) -> User | None:
        """The enabled user with this email and password, else None. Unknown emails, wrong
        passwords and disabled users cost the same argon2 verification."""
        try:
            normalized = normalize_email(email)
        except ValueError:
            normalized = None
        user = None if normalized is None else await self._storage.users.find_by_email(normalized)
        ok = await verify_password(None if user is None else user.password_hash, password)
        if user is None or not ok or user.disabled:
            return None
        return user

    async def get_user(self, user_id: str) -> User | None:
        return await self._storage.users.get(user_id)

    async def workspaces_for(self, user_id: str) -> list[WorkspaceRole]:
        found = []
        for membership in await self._storage.memberships.list_for_user(user_id):
            workspace = await self._storage.workspaces.get(membership.workspace_id)
            if workspace is not None:
                found.append(WorkspaceRole(workspace, membership.role))
        return found

    # --- administration ---

    async def _user(self, email: str) -> User:
        user = await self._storage.users.find_by_email(_email(email))
        if user is None:
            raise UserAdminError(f"no user {_email(email)}")
        return user

    async def _workspace(self, workspace_id: str) -> Workspace:
        workspace = await self._storage.workspaces.get(workspace_id)
        if workspace is None:
            raise UserAdminError(f"no workspace {workspace_id}")
        return workspace

    async def create_user(
        self,
        email: str,
        password: str | None = None,
        *,
        password_hash: str | None = None,
    ) -> User:
        normalized = _email(email)
        if password_hash is None:
            if password is None:
                raise UserAdminError("a new user needs a password")
            password_hash = await hash_password(_password(password))
        try:
            return await self._storage.users.create(normalized, password_hash, utc_now())
        except DuplicateEmail as exc:
            raise UserAdminError(f"user {normalized} already exists") from exc

    async def find_user(self, email: str) -> User | None:
        return await self._storage.users.find_by_email(_email(email))

    async def list_users(self) -> list[tuple[User, list[Membership]]]:
        return [
            (user, await self._storage.memberships.list_for_user(user.id))
            for user in await self._storage.users.list_all()
        ]

    async def set_password(self, email: str, password: str) -> User:
        user = await self._user(email)
        changed = await self._storage.users.set_password(
            user.id, await hash_password(_password(password))
        )
        if changed is None:
            raise UserAdminError(f"no user {user.email}")
        return changed

    async def set_disabled(self, email: str, disabled: bool) -> User:
        user = await self._user(email)
        changed = await self._storage.users.set_disabled(user.id, disabled)
        if changed is None:
            raise UserAdminError(f"no user {user.email}")
        return changed

    async def add_member(self, workspace_id: str, email: str, role: str) -> Membership:
        _role(role)
        workspace = await self._workspace(workspace_id)
        user = await self._user(email)
        try:
            return await self._storage.memberships.add(workspace.id, user.id, role, utc_now())
        except DuplicateMembership as exc:
            raise UserAdminError(f"{user.email} is already a member of {workspace.id}") from exc

    async def set_role(self, workspace_id: str, email: str, role: str) -> Membership:
        _role(role)
        user = await self._user(email)
        try:
            membership = await self._storage.memberships.set_role(workspace_id, user.id, role)
        except LastOwner as exc:
            raise UserAdminError(f"{user.email} is the last owner of {workspace_id}") from exc
        if membership is None:
            raise UserAdminError(f"{user.email} is not a member of {workspace_id}")
        return membership

    async def remove_member(self, workspace_id: str, email: str) -> int:
        """Remove the membership and revoke the user's grants there; how many were revoked."""
        user = await self._user(email)
        try:
            removed = await self._storage.memberships.remove(workspace_id, user.id)
        except LastOwner as exc:
            raise UserAdminError(f"{user.email} is the last owner of {workspace_id}") from exc
        if not removed:
            raise UserAdminError(f"{user.email} is not a member of {workspace_id}")
        return await self._grants.revoke_for_member(workspace_id, user.id)


def _email(raw: str) -> str:
    try:
        return normalize_email(raw)
    except ValueError as exc:
        raise UserAdminError(str(exc)) from exc


def _password(raw: str) -> str:
    try:
        return check_password(raw)
    except ValueError as exc:
        raise UserAdminError(str(exc)) from exc


def _role(role: str) -> None:
    if not is_role(role):
        raise UserAdminError(f"unknown role {role!r}: owner, admin, editor or viewer")
