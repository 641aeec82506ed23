"""The signed-in user of a page request, checked against the user record each time: a session
ends when the user is disabled or gone, or their `session_version` moved on (password change)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from app.domain.oauth_records import User
from app.http.app_keys import SERVICES
from app.http.sessions import forget_user, session_user


async def signed_in_user(request: web.Request) -> User | None:
    signed_in = await session_user(request)
    if signed_in is None:
        return None
    user = await request.app[SERVICES].users.get_user(signed_in.user_id)
    if user is None or user.disabled or user.session_version != signed_in.session_version:
        await forget_user(request)
        return None
    return user


def see_other(location: str) -> web.Response:
    # An empty text/html body: the browser follows Location at once.
    return web.Response(
        status=303, headers={"Location": location}, content_type="text/html", charset="utf-8"
    )


def to_login(next_path: str) -> web.Response:
    """303 to the login page, which comes back to `next_path`, percent-encoded (`/` may stay as
    it is in a query: `/login?next=/account/connected-apps`, as the contract writes it)."""
    return see_other("/login?next=" + quote(next_path, safe="/"))
