"""Where a login may send the browser next (oauth.md §5.2): only a path on this site."""

from __future__ import annotations

MAX_LENGTH = 2048
DEFAULT_AFTER_LOGIN = "/account/connected-apps"


def is_local_path(candidate: str) -> bool:
    """One leading `/`, not `//` or `/\\` (browsers read both as another host), no control
    characters (a tab or newline inside `//` is dropped by browsers), at most 2048 characters."""
    if not candidate or len(candidate) > MAX_LENGTH or candidate[0] != "/":
        return False
    if candidate[1:2] in ("/", "\\"):
        return False
    return not any(ord(c) < 32 or ord(c) == 127 for c in candidate)


def after_login(next_path: str | None) -> str:
    return next_path if next_path is not None and is_local_path(next_path) else DEFAULT_AFTER_LOGIN
