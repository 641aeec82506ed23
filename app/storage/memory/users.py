"""Embedded user and membership repositories."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from app.domain.oauth_records import Membership, User
from app.storage.memory.ids import ObjectIdSequence
from app.storage.protocols import DuplicateEmail, DuplicateMembership, LastOwner


class MemoryUserRepository:
    def __init__(self) -> None:
        self._ids = ObjectIdSequence()
        self._by_id: dict[str, User] = {}
        self._by_email: dict[str, str] = {}

    async def create(self, email: str, password_hash: str, at: datetime) -> User:
        if email in self._by_email:
            raise DuplicateEmail(email)
        user = User(self._ids.new(), email, password_hash, False, 0, at)
        self._by_id[user.id] = user
        self._by_email[email] = user.id
        return user

    async def get(self, user_id: str) -> User | None:
        return self._by_id.get(user_id)

    async def find_by_email(self, email: str) -> User | None:
        user_id = self._by_email.get(email)
        return None if user_id is None else self._by_id[user_id]

    async def list_all(self) -> list[User]:
        return sorted(self._by_id.values(), key=lambda u: u.email)

    async def set_password(self, user_id: str, password_hash: str) -> User | None:
        user = self._by_id.get(user_id)
        if user is None:
            return None
        user = dataclasses.replace(
            user, password_hash=password_hash, session_version=user.session_version + 1
        )
        self._by_id[user_id] = user
        return user

    async def set_disabled(self, user_id: str, disabled: bool) -> User | None:
        user = self._by_id.get(user_id)
        if user is None:
            return None
        version = user.session_version + (1 if disabled else 0)
        user = dataclasses.replace(user, disabled=disabled, session_version=version)
        self._by_id[user_id] = user
        return user


class MemoryMembershipRepository:
    def __init__(self) -> None:
        self._by_pair: dict[tuple[str, str], Membership] = {}

    async def add(self, workspace_id: str, user_id: str, role: str, at: datetime) -> Membership:
        pair = (workspace_id, user_id)
        if pair in self._by_pair:
            raise DuplicateMembership(pair)
        membership = Membership(workspace_id, user_id, role, at)
        self._by_pair[pair] = membership
        return membership

    async def get(self, workspace_id: str, user_id: str) -> Membership | None:
        return self._by_pair.get((workspace_id, user_id))

    async def list_for_user(self, user_id: str) -> list[Membership]:
        found = [m for m in self._by_pair.values() if m.user_id == user_id]
        return sorted(found, key=lambda m: m.created_at)

    async def list_for_workspace(self, workspace_id: str) -> list[Membership]:
        found = [m for m in self._by_pair.values() if m.workspace_id == workspace_id]
        return sorted(found, key=lambda m: m.created_at)

    def _is_last_owner(self, membership: Membership) -> bool:
        owners = [
            m
            for m in self._by_pair.values()
            if m.workspace_id == membership.workspace_id and m.role == "owner"
        ]
        return membership.role == "owner" and len(owners) == 1

    async def set_role(self, workspace_id: str, user_id: str, role: str) -> Membership | None:
        membership = self._by_pair.get((workspace_id, user_id))
        if membership is None:
            return None
        if role != "owner" and self._is_last_owner(membership):
            raise LastOwner(workspace_id)
        membership = dataclasses.replace(membership, role=role)
        self._by_pair[(workspace_id, user_id)] = membership
        return membership

    async def remove(self, workspace_id: str, user_id: str) -> bool:
        membership = self._by_pair.get((workspace_id, user_id))
        if membership is None:
            return False
        if self._is_last_owner(membership):
            raise LastOwner(workspace_id)
        del self._by_pair[(workspace_id, user_id)]
        return True
