"""The private calendar feed's HTTP route, served by the same process as the app (app.py mounts it
on its `st.App`, beside the login-cookie routes of ui/session_routes.py).

`GET /iop/calendar/<token>.ics` answers the person's calendar (core/feed.py) or, for a token that
is malformed, unknown or turned off, a bare 404: the same answer, with no body, whatever the
reason, so the address gives nothing away. Nothing is cached, so turning a feed off works at once.
No Streamlit here: only Starlette and core.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import feed
from core.db import session_scope

log = logging.getLogger("iop")

PRIVATE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",  # a calendar, never sniffed into something a browser runs
}


def _calendar(token: str) -> bytes | None:
    with session_scope() as session:
        return feed.calendar_for_token(session, token)


async def calendar_feed(request: Request) -> Response:
    token = request.path_params.get("token", "")
    try:
        body = await run_in_threadpool(_calendar, token)
    except Exception:  # the calendar app tries again later; the log says why
        log.exception("could not build a calendar feed")
        return Response(status_code=503, headers=PRIVATE)
    if body is None:
        return Response(status_code=404, headers=PRIVATE)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={**PRIVATE, "Content-Disposition": 'inline; filename="iop-companion.ics"'},
    )


ROUTES = [Route(f"{feed.PATH}/{{token}}.ics", calendar_feed, methods=["GET"])]
