"""Applicants' bearer tokens (R-8.1): the citizen ID number (12 digits) and name, as the national
e-identity gives them.

Two sources, like officials' tokens (api/auth.py):
- the configured citizen identity issuer (production): RS256/ES256/PS256 tokens verified with its
  public key or JWKS file (MOTCUA_CITIZEN_ISSUER, MOTCUA_CITIZEN_PUBLIC_KEY_FILE | _JWKS_FILE); the
  ID number and name are read from configurable claims;
- ours (development, `motcua citizens token <id-number> <name>`): HS256 with the API's key and the
  audience `CITIZEN_AUDIENCE`, which no official's token carries and which officials' verification
  refuses, so one audience's token never passes as the other's.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from engine.domain.applicant import Applicant, ApplicantInvalid

from .auth import _CLOCK_CHECKS_OFF, TokenInvalid, _instant
from .config import ApiSettings

CITIZEN_AUDIENCE = "motcua-public"
CITIZEN_SCOPE = "citizen"


@dataclass(frozen=True)
class CitizenPrincipal:
    applicant: Applicant
    source: str  # "local" or "eid" (the configured issuer)
    expires_at: datetime


class CitizenTokenService:
    def __init__(self, settings: ApiSettings):
        self.settings = settings
        self._keys = self._load_keys(settings)

    def issue(self, applicant: Applicant, now: datetime) -> tuple[str, datetime]:
        """A development token (HS256, our key) for `applicant`, valid `token_minutes`."""
        expires = now + timedelta(minutes=self.settings.token_minutes)
        claims = {"iss": self.settings.issuer, "aud": CITIZEN_AUDIENCE, "sub": applicant.id_number,
                  "citizen_id": applicant.id_number, "name": applicant.name, "scope": CITIZEN_SCOPE,
                  "jti": uuid.uuid4().hex, "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
        return jwt.encode(claims, self.settings.secret_key, algorithm="HS256"), expires

    def verify(self, token: str, now: datetime) -> CitizenPrincipal:
        """The applicant of a valid token; TokenInvalid naming what is wrong otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as err:
            raise TokenInvalid(f"not a valid token: {err}") from None
        s = self.settings
        if header.get("alg") == "HS256":
            try:
                claims = jwt.decode(token, s.secret_key, algorithms=["HS256"], audience=CITIZEN_AUDIENCE,
                                    issuer=s.issuer, options={"require": ["exp", "citizen_id"], **_CLOCK_CHECKS_OFF})
            except jwt.PyJWTError as err:
                raise TokenInvalid(str(err)) from None
            if claims.get("scope") != CITIZEN_SCOPE:
                raise TokenInvalid("not an applicant's token")
            return self._principal(claims, "citizen_id", "name", "local", now)
        if s.citizen_issuer and issuer == s.citizen_issuer:
            key = self._keys.get(header.get("kid")) or (self._keys.get(None) if len(self._keys) == 1 else None)
            if key is None:
                raise TokenInvalid("no key of the citizen identity issuer matches the token's key id")
            try:
                claims = jwt.decode(token, key, algorithms=["RS256", "ES256", "PS256"], audience=s.citizen_audience,
                                    issuer=s.citizen_issuer,
                                    options={"require": ["exp", "iss", "aud"], **_CLOCK_CHECKS_OFF})
            except jwt.PyJWTError as err:
                raise TokenInvalid(str(err)) from None
            return self._principal(claims, s.citizen_id_claim, s.citizen_name_claim, "eid", now)
        raise TokenInvalid("token from an unknown issuer")

    @staticmethod
    def _principal(claims: dict[str, Any], id_claim: str, name_claim: str, source: str,
                   now: datetime) -> CitizenPrincipal:
        expires = _instant(claims, "exp")
        if expires <= now:
            raise TokenInvalid("the token has expired")
        if "nbf" in claims and _instant(claims, "nbf") > now + timedelta(seconds=30):
            raise TokenInvalid("the token is not valid yet")
        try:
            applicant = Applicant(claims.get(id_claim), claims.get(name_claim))  # type: ignore[arg-type]
        except ApplicantInvalid as err:
            raise TokenInvalid(f"the {id_claim!r} / {name_claim!r} claims: {err}") from None
        return CitizenPrincipal(applicant, source, expires)

    @staticmethod
    def _load_keys(s: ApiSettings) -> dict[str | None, Any]:
        keys: dict[str | None, Any] = {}
        if s.citizen_public_key_file:
            keys[None] = s.citizen_public_key_file.read_text()
        if s.citizen_jwks_file:
            for jwk in json.loads(s.citizen_jwks_file.read_text()).get("keys", []):
                keys[jwk.get("kid")] = jwt.PyJWK(jwk).key
        return keys
