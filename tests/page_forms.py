"""Reading the HTML pages the way a browser does: their forms, fields and buttons (stdlib
html.parser), so tests, the scripted OAuth clients and the bench's token submit exactly what a
person would."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import aiohttp


@dataclass
class Form:
    action: str
    method: str
    attrs: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)  # hidden/text inputs, first option
    options: dict[str, list[str]] = field(default_factory=dict)  # select name -> option values
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value)

    def submission(self, **chosen: str) -> dict[str, str]:
        """The fields a browser would send, with `chosen` overriding (e.g. decision=approve)."""
        return {**self.fields, **chosen}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower(), a))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "input" and a.get("name"):
            form.fields[a["name"]] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            form.options[self._select] = []
        elif tag == "option" and self._select is not None:
            form.options[self._select].append(a.get("value", ""))
            form.fields.setdefault(self._select, a.get("value", ""))
        elif tag == "button" and a.get("name"):
            form.buttons.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_with_action(html: str, action: str) -> Form:
    found = [form for form in parse_forms(html) if form.action == action]
    assert found, f"no form posting to {action}"
    return found[0]


async def sign_in_and_approve(
    session: aiohttp.ClientSession,
    authorization_url: str,
    email: str,
    password: str,
    *,
    decision: str = "approve",
) -> dict[str, str]:
    """What a person does in the browser, over plain HTTP: follow the authorization URL, sign
    in on the login form, press `decision` on the consent form. `session` keeps the session
    cookie (for 127.0.0.1 it needs `CookieJar(unsafe=True)`). Returns the parameters of the
    final redirect to the client (which is not followed)."""
    response = await session.get(authorization_url, allow_redirects=False)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorization_url))
    if response.status == 303 and response.headers["Location"].startswith("/login"):
        login_page = await session.get(origin + response.headers["Location"])
        fields = form_with_action(await login_page.text(), "/login").fields
        fields.update(email=email, password=password)
        signed_in = await session.post(origin + "/login", data=fields, allow_redirects=False)
        assert signed_in.status == 303, signed_in.status
        response = await session.get(origin + signed_in.headers["Location"], allow_redirects=False)
    assert response.status == 200, (response.status, response.headers.get("Location"))
    form = form_with_action(await response.text(), "/api/oauth/authorize")
    decided = await session.post(
        origin + form.action, data=form.submission(decision=decision), allow_redirects=False
    )
    assert decided.status == 303
    return dict(parse_qsl(urlsplit(decided.headers["Location"]).query))
