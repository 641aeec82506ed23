"""Browser sessions for the HTML pages (oauth.md §5.1): the `tp_session` cookie and its CSRF token.

aiohttp-session's EncryptedCookieStorage keeps the session in the cookie itself, encrypted and
authenticated (Fernet) with a key derived from SESSION_SECRET. A session holds its CSRF token
and, once signed in, the user id, the user's `session_version` at login and the login time: the
session ends 12 h after login, and as soon as a password change or a disable raises the user's
`session_version`.
"""

from __future__ import annotations

import secrets
import time

import aiohttp_session
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.domain.record import record

COOKIE_NAME = "tp_session"
SESSION_SECONDS = 12 * 3600
_CSRF, _USER, _VERSION, _LOGIN_AT = "csrf", "uid", "sv", "login_at"


def _cookie_key(secret: bytes) -> bytes:
    # A dedicated key for the cookie, so SESSION_SECRET itself is never a Fernet key.
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tracepass tp_session cookie"
    ).derive(secret)


def session_middleware(secret: bytes, *, secure: bool) -> Middleware:
    """aiohttp-session's middleware for the page routes alone (app/http/page_security.py wraps
    each page handler in it): the API's requests never touch a session, so they skip it."""
    storage = EncryptedCookieStorage(
        _cookie_key(secret),
        cookie_name=COOKIE_NAME,
        max_age=SESSION_SECONDS,
        path="/",
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
    return aiohttp_session.session_middleware(storage)


@record
class SessionUser:
    user_id: str
    session_version: int


async def csrf_token(request: web.Request) -> str:
    """This session's CSRF token, starting a session when there is none."""
    session = await aiohttp_session.get_session(request)
    token = session.get(_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[_CSRF] = token
    return token


async def csrf_matches(request: web.Request, sent: str) -> bool:
    session = await aiohttp_session.get_session(request)
    expected = session.get(_CSRF)
    if not isinstance(expected, str) or not expected or not sent:
        return False
    return secrets.compare_digest(expected.encode(), sent.encode())


async def session_user(request: web.Request) -> SessionUser | None:
    """Who this session signed in as, if it did within the last 12 h (the user record is the
    caller's to check against `session_version`)."""
    session = await aiohttp_session.get_session(request)
    user_id, version, login_at = session.get(_USER), session.get(_VERSION), session.get(_LOGIN_AT)
    if not isinstance(user_id, str) or not isinstance(version, int):
        return None
    if not isinstance(login_at, int | float) or time.time() - login_at >= SESSION_SECONDS:
        await forget_user(request)
        return None
    return SessionUser(user_id, version)


async def sign_in(request: web.Request, user_id: str, session_version: int) -> None:
    """A new session (new cookie, new CSRF token) for this user: nothing of the signed-out
    session carries over."""
    session = await aiohttp_session.new_session(request)
    session[_CSRF] = secrets.token_urlsafe(32)
    session[_USER] = user_id
    session[_VERSION] = session_version
    session[_LOGIN_AT] = int(time.time())


async def forget_user(request: web.Request) -> None:
    """An ended session (expired, password changed, user disabled): signed out, with a fresh
    CSRF token so the login form still works."""
    session = await aiohttp_session.get_session(request)
    session.clear()
    session[_CSRF] = secrets.token_urlsafe(32)


async def sign_out(request: web.Request) -> None:
    """Logout: the session ends and its cookie is deleted."""
    session = await aiohttp_session.get_session(request)
    session.invalidate()
