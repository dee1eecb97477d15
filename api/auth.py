"""Bearer tokens: our own (local accounts, HS256) and the province SSO's (RS256/ES256) (R-8.1).

Local tokens carry a scope: a new account's token only allows changing the password (R-8.2).
They also carry the account's token generation: a password change or deactivation raises it and
so ends every session at once. Tokens can be revoked one by one (logout): their id is kept until
they expire. Both are checked on every request, in one read (AccountService.session).
"""
from __future__ import annotations

import hashlib
import json
import math
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt

from engine.domain.access import Official
from engine.domain.dossier_code import AGENCY_ID_RE

from .config import ApiSettings

FULL = "api"
PASSWORD_ONLY = "password-change"


# Time claims are checked against the injected clock (below), not PyJWT's system clock.
_CLOCK_CHECKS_OFF = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
_LEEWAY = timedelta(seconds=30)
MAX_USERNAME = 128  # the directory's limits (accounts.username, display_name; revoked_tokens.jti)
MAX_DISPLAY_NAME = 255
MAX_TOKEN_ID = 64


class TokenInvalid(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    official: Official
    token_id: str | None
    expires_at: datetime
    scope: str
    source: str  # "local" or "sso"
    token_generation: int = 0  # local tokens: the account's generation when issued
    issued_at: datetime | None = None  # the `iat` claim, when the token has one


class TokenService:
    def __init__(self, settings: ApiSettings):
        self.settings = settings
        self._sso_keys = self._load_sso_keys(settings)

    def issue(self, official: Official, now: datetime, scope: str = FULL, generation: int = 0) -> tuple[str, datetime]:
        expires = now + timedelta(minutes=self.settings.token_minutes)
        claims = {
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "sub": official.username,
            "name": official.display_name,
            "agency_id": official.agency_id,
            "roles": sorted(official.roles),
            "scope": scope,
            "gen": generation,
            "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(claims, self.settings.secret_key, algorithm="HS256"), expires

    def verify(self, token: str, now: datetime) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as err:
            raise TokenInvalid(f"not a valid token: {err}") from None
        if header.get("alg") == "HS256":  # ours: verified with our key, issuer checked there
            return self._local(token, now)
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as err:
            raise TokenInvalid(f"not a valid token: {err}") from None
        if self.settings.sso_issuer and issuer == self.settings.sso_issuer:
            return self._sso(token, header, now)
        raise TokenInvalid("token from an unknown issuer")

    def _local(self, token: str, now: datetime) -> Principal:
        try:
            claims = jwt.decode(token, self.settings.secret_key, algorithms=["HS256"], audience=self.settings.audience,
                                issuer=self.settings.issuer, options={"require": ["exp", "sub", "jti"], **_CLOCK_CHECKS_OFF})
        except jwt.PyJWTError as err:
            raise TokenInvalid(str(err)) from None
        generation = claims.get("gen", 0)  # tokens from before generations existed: 0
        if not isinstance(generation, int) or isinstance(generation, bool):
            raise TokenInvalid("the 'gen' claim must be an integer")
        principal = self._principal(claims, "sub", "agency_id", "roles", "name", now, "local", claims.get("scope", FULL))
        return replace(principal, token_generation=generation)

    def _sso(self, token: str, header: dict[str, Any], now: datetime) -> Principal:
        s = self.settings
        key = self._sso_keys.get(header.get("kid")) or (self._sso_keys.get(None) if len(self._sso_keys) == 1 else None)
        if key is None:
            raise TokenInvalid("no SSO key matches the token's key id")
        try:
            claims = jwt.decode(token, key, algorithms=["RS256", "ES256", "PS256"], audience=s.sso_audience,
                                issuer=s.sso_issuer, options={"require": ["exp", "iss", "aud"], **_CLOCK_CHECKS_OFF})
        except jwt.PyJWTError as err:
            raise TokenInvalid(str(err)) from None
        user_claim = s.sso_user_claim if s.sso_user_claim in claims else "sub"
        principal = self._principal(claims, user_claim, s.sso_agency_claim, s.sso_roles_claim, s.sso_name_claim,
                                    now, "sso", FULL)
        return replace(principal, token_id=_sso_token_id(claims.get("jti"), token))

    @staticmethod
    def _principal(claims: dict[str, Any], user: str, agency: str, roles: str, name: str, now: datetime,
                   source: str, scope: str) -> Principal:
        """The claims checked for what the directory can hold (an SSO signs anything its admins type):
        a bad one is TokenInvalid naming it, never a 500 from the database later (issue 7)."""
        # Expiry is checked against the injected clock, not the machine's.
        expires = _instant(claims, "exp")
        if expires <= now:
            raise TokenInvalid("the token has expired")
        not_before = _instant(claims, "nbf") if "nbf" in claims else None
        if not_before is not None and not_before > now + _LEEWAY:
            raise TokenInvalid("the token is not valid yet")
        issued_at = _instant(claims, "iat") if "iat" in claims else None
        username, agency_id, role_list = claims.get(user), claims.get(agency), claims.get(roles, [])
        if not isinstance(username, str) or not username or not isinstance(agency_id, str) or not agency_id:
            raise TokenInvalid(f"the token lacks the {user!r} or {agency!r} claim")
        display_name = claims.get(name) or username
        if source == "sso":  # ours (local) hold what the directory holds
            if len(username) > MAX_USERNAME or not _plain(username) or any(c.isspace() for c in username):
                raise TokenInvalid(f"the {user!r} claim must be 1-{MAX_USERNAME} printable characters without spaces")
            if not AGENCY_ID_RE.match(agency_id):
                raise TokenInvalid(f"the {agency!r} claim must be an agency id: 1-35 letters, digits, '.', '-' or '_'")
            if not isinstance(display_name, str) or len(display_name) > MAX_DISPLAY_NAME or not _plain(display_name):
                raise TokenInvalid(f"the {name!r} claim must be text of at most {MAX_DISPLAY_NAME} printable characters")
        if isinstance(role_list, str):
            role_list = role_list.split()
        if not isinstance(role_list, list):
            raise TokenInvalid(f"the {roles!r} claim must be a list")
        official = Official(username, agency_id, frozenset(r for r in role_list if isinstance(r, str)), str(display_name))
        return Principal(official, claims.get("jti"), expires, scope, source, issued_at=issued_at)

    @staticmethod
    def _load_sso_keys(s: ApiSettings) -> dict[str | None, Any]:
        keys: dict[str | None, Any] = {}
        if s.sso_public_key_file:
            keys[None] = s.sso_public_key_file.read_text()
        if s.sso_jwks_file:
            for jwk in json.loads(s.sso_jwks_file.read_text()).get("keys", []):
                keys[jwk.get("kid")] = jwt.PyJWK(jwk).key
        return keys


def _instant(claims: dict[str, Any], name: str) -> datetime:
    """A NumericDate claim (RFC 7519 §2: a JSON number of seconds since the epoch) as UTC."""
    value = claims.get(name)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise TokenInvalid(f"the {name!r} claim must be a number of seconds since 1970")
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise TokenInvalid(f"the {name!r} claim is out of range") from None


def _plain(text: str) -> bool:
    """No control characters (NUL included) and no lone surrogates: what a database column can store."""
    return text.isprintable()


def _sso_token_id(jti: str | None, token: str) -> str:
    """The id an SSO token is revoked by (logout). `jti` is optional (RFC 7519 §4.1.7) and of any
    length: without one, or longer than the revocation list keeps, its SHA-256 (or the whole
    token's) stands in, so logout ends every SSO session."""
    if jti and len(jti) <= MAX_TOKEN_ID and _plain(jti):
        return jti
    return hashlib.sha256((f"jti:{jti}" if jti else f"token:{token}").encode("utf-8", "surrogatepass")).hexdigest()
