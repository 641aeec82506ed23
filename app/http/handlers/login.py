"""GET/POST /login and POST /logout (oauth.md §5.2)."""

from __future__ import annotations

from aiohttp import web

from app.domain.local_paths import after_login
from app.http.app_keys import LOGIN_THROTTLE, SERVICES
from app.http.html import render_page
from app.http.page_sessions import see_other
from app.http.sessions import csrf_token, sign_in, sign_out

INVALID_LOGIN = "Invalid email or password."
AUTHORIZE_PATH = "/api/oauth/authorize"


async def _form(
    request: web.Request,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    context = {
        "csrf_token": await csrf_token(request),
        "next": next_path,
        "email": email,
        "error": error,
        "for_app": next_path.startswith(AUTHORIZE_PATH),
    }
    return render_page("login.html", request, context, status=status, headers=headers)


async def login_page(request: web.Request) -> web.Response:
    return await _form(request, next_path=request.query.get("next", ""))


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    email, password, next_path = (str(form.get(name, "")) for name in ("email", "password", "next"))
    throttle = request.app[LOGIN_THROTTLE]
    # Counted by the email as a person would type it; unknown emails count like known ones.
    email_key, peer = email.strip().lower(), request.remote or ""
    retry_after = throttle.retry_after(email_key, peer)
    if retry_after is not None:
        return await _form(
            request,
            next_path=next_path,
            email=email,
            error=f"Too many sign-in attempts. Try again in {retry_after} seconds.",
            status=429,
            headers={"Retry-After": str(retry_after)},
        )
    user = await request.app[SERVICES].users.authenticate(email, password)
    if user is None:
        throttle.failed(email_key, peer)
        return await _form(
            request, next_path=next_path, email=email, error=INVALID_LOGIN, status=401
        )
    throttle.succeeded(email_key)
    await sign_in(request, user.id, user.session_version)
    return see_other(after_login(next_path))


async def logout(request: web.Request) -> web.Response:
    await sign_out(request)
    return see_other("/login")
