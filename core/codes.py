"""One-time codes (family invitations, password reset codes, the login hand-off): made at
random, read the way people type them, and stored only as a keyed hash.

A bare SHA-256 of a 48-bit code can be reversed by anyone who copies the table; an HMAC keyed
with the server's secret (the cookie key, under a label per purpose so one kind of code can never
stand in for another) cannot without that secret. Rotating the cookie key therefore invalidates
every unused code — invitations last 7 days, so at worst a family member asks for a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

from core.config import settings

CODE_MAX_TYPED = 64  # longer input is not a code; don't hash megabytes
_SEPARATORS = str.maketrans("", "", " \t\r\n-_.\u00a0\u2010\u2011\u2012\u2013\u2014\u2212")


def new_code(groups: int = 3, group_chars: int = 4) -> str:
    """e.g. 4F2A-09BC-77D1: hex only, so there is no O/0 or I/1 to confuse."""
    return "-".join(secrets.token_hex(group_chars // 2).upper() for _ in range(groups))


def normalise(typed: object) -> str:
    """What the person meant: any case, with or without dashes and spaces (full-width digits from
    a phone keyboard included). Not a string, or far too long: ""."""
    if not isinstance(typed, str) or len(typed) > CODE_MAX_TYPED:
        return ""
    return unicodedata.normalize("NFKC", typed).translate(_SEPARATORS).upper()


def keyed_hash(purpose: str, typed: object) -> str:
    """HMAC-SHA256 of a code a person typed (normalised first), keyed with the server secret and
    labelled by purpose (family invitations, password reset codes)."""
    return secret_hash(purpose, normalise(typed))


def secret_hash(purpose: str, token: str) -> str:
    """HMAC-SHA256 of a machine-made token compared exactly as issued (the login hand-off)."""
    key = settings().cookie_key.encode()
    message = f"iop-companion/{purpose}/v1\x00{token}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()
