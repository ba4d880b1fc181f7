"""The two HTTP routes that set and delete the login cookie, so the server, not page JavaScript,
owns it: HttpOnly (scripts cannot read it), SameSite=Lax, and Secure when served over https.

app.py mounts them on its `st.App`. After a password login the page posts a one-time hand-off
code (minted by core/auth.py, valid two minutes) to `POST /iop/session`, which answers with the
cookie; logout (or a cookie the app refused) posts to `POST /iop/logout`, which deletes it. Both
refuse requests from other sites. A new browser session reads the cookie with
`st.context.cookies`. No Streamlit here: only Starlette and core.
"""

from __future__ import annotations

import json
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import auth
from core.config import settings
from core.db import session_scope

log = logging.getLogger("iop")

SESSION_PATH = "/iop/session"
LOGOUT_PATH = "/iop/logout"
BODY_MAX_BYTES = 1024


def _same_site(request: Request) -> bool:
    """A request the app's own page made (fetch from our origin), not one from another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser (no CSRF without one)
    return origin.split("://", 1)[-1] == request.headers.get("host")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or settings().cookie_secure


def _no_store(status: int) -> Response:
    return Response(status_code=status, headers={"Cache-Control": "no-store"})


def _token_for(code: object) -> str | None:
    with session_scope() as session:
        return auth.redeem_login_handoff(session, code)


async def _body(request: Request) -> bytes | None:
    """The request's body, or None once it passes BODY_MAX_BYTES: read no further than that (the
    whole body would be held first, up to the server's upload limit, for anyone who sends one)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_MAX_BYTES:
            return None
    return body


async def set_login_cookie(request: Request) -> Response:
    """Exchange a hand-off code for the login cookie (once; the code expires in minutes)."""
    if not _same_site(request):
        return _no_store(403)
    body = await _body(request)
    if body is None:
        return _no_store(413)
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError, UnicodeDecodeError, RecursionError):  # ("[" * 1000 fits in 1 KB)
        return _no_store(400)
    try:
        token = await run_in_threadpool(_token_for, code)
    except Exception:  # the page carries on without a cookie; the log says why
        log.exception("could not set the login cookie")
        return _no_store(503)
    if token is None:
        return _no_store(410)  # used, expired or unknown: no cookie
    config = settings()
    response = _no_store(204)
    response.set_cookie(
        config.cookie_name,
        token,
        max_age=int(config.cookie_expiry_days * 86400),
        path="/",
        httponly=True,
        secure=_secure(request),
        samesite="lax",
    )
    return response


async def delete_login_cookie(request: Request) -> Response:
    """Forget the login cookie in this browser (the session version already ended it elsewhere)."""
    if not _same_site(request):
        return _no_store(403)
    response = _no_store(204)
    response.delete_cookie(settings().cookie_name, path="/", httponly=True, secure=_secure(request), samesite="lax")
    return response


ROUTES = [
    Route(SESSION_PATH, set_login_cookie, methods=["POST"]),
    Route(LOGOUT_PATH, delete_login_cookie, methods=["POST"]),
]
