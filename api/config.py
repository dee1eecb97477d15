"""API settings: tokens, single sign-on, limits (environment variables, docs/operations.md)."""
from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.persistence.database import ROOT


@dataclass(frozen=True)
class ApiSettings:
    secret_key: str
    token_minutes: int = 8 * 60  # one working day
    issuer: str = "motcua"
    audience: str = "motcua-api"
    # Province single sign-on: tokens signed by the SSO, verified with its public key(s).
    sso_issuer: str | None = None
    sso_audience: str | None = None
    sso_public_key_file: Path | None = None
    sso_jwks_file: Path | None = None
    sso_user_claim: str = "preferred_username"
    sso_agency_claim: str = "agency_id"
    sso_roles_claim: str = "roles"
    sso_name_claim: str = "name"
    # Applicants' national e-identity (R-8.1): tokens carrying the citizen ID number and name
    # (api/citizen_tokens.py); without an issuer only development tokens (`motcua citizens token`).
    citizen_issuer: str | None = None
    citizen_audience: str | None = None
    citizen_public_key_file: Path | None = None
    citizen_jwks_file: Path | None = None
    citizen_id_claim: str = "citizen_id"
    citizen_name_claim: str = "name"
    max_json_bytes: int = 1024 * 1024  # any JSON request body (issue 7); uploads: MOTCUA_MAX_UPLOAD_BYTES
    # The client's address for per-address limits: from this header, set by a reverse proxy we
    # trust, counting `trusted_proxy_hops` proxies from the right; None: the TCP peer's address.
    trusted_proxy_header: str | None = None
    trusted_proxy_hops: int = 1
    # GET /metrics: with a token, only `Authorization: Bearer <token>`; without, loopback without a proxy.
    metrics_token: str | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> "ApiSettings":
        env = os.environ
        values: dict[str, object] = {
            "secret_key": env.get("MOTCUA_SECRET_KEY") or _secret_file(Path(env.get("MOTCUA_SECRET_FILE", ROOT / "var" / "secret.key"))),
            "token_minutes": int(env.get("MOTCUA_TOKEN_MINUTES", str(8 * 60))),
            "sso_issuer": env.get("MOTCUA_SSO_ISSUER") or None,
            "sso_audience": env.get("MOTCUA_SSO_AUDIENCE") or None,
            "sso_public_key_file": Path(env["MOTCUA_SSO_PUBLIC_KEY_FILE"]) if env.get("MOTCUA_SSO_PUBLIC_KEY_FILE") else None,
            "sso_jwks_file": Path(env["MOTCUA_SSO_JWKS_FILE"]) if env.get("MOTCUA_SSO_JWKS_FILE") else None,
            "sso_user_claim": env.get("MOTCUA_SSO_USER_CLAIM", "preferred_username"),
            "sso_agency_claim": env.get("MOTCUA_SSO_AGENCY_CLAIM", "agency_id"),
            "sso_roles_claim": env.get("MOTCUA_SSO_ROLES_CLAIM", "roles"),
            "sso_name_claim": env.get("MOTCUA_SSO_NAME_CLAIM", "name"),
            "citizen_issuer": env.get("MOTCUA_CITIZEN_ISSUER") or None,
            "citizen_audience": env.get("MOTCUA_CITIZEN_AUDIENCE") or None,
            "citizen_public_key_file": (Path(env["MOTCUA_CITIZEN_PUBLIC_KEY_FILE"])
                                        if env.get("MOTCUA_CITIZEN_PUBLIC_KEY_FILE") else None),
            "citizen_jwks_file": Path(env["MOTCUA_CITIZEN_JWKS_FILE"]) if env.get("MOTCUA_CITIZEN_JWKS_FILE") else None,
            "citizen_id_claim": env.get("MOTCUA_CITIZEN_ID_CLAIM", "citizen_id"),
            "citizen_name_claim": env.get("MOTCUA_CITIZEN_NAME_CLAIM", "name"),
            "trusted_proxy_header": env.get("MOTCUA_TRUSTED_PROXY_HEADER", "").strip() or None,
            "trusted_proxy_hops": int(env.get("MOTCUA_TRUSTED_PROXY_HOPS", "1")),
            "max_json_bytes": int(env.get("MOTCUA_MAX_JSON_BYTES", str(1024 * 1024))),
            "metrics_token": env.get("MOTCUA_METRICS_TOKEN", "").strip() or None,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        if self.trusted_proxy_hops < 1:
            raise ValueError("MOTCUA_TRUSTED_PROXY_HOPS must be at least 1")
        # An identity provider signs tokens for many services with one key: without the audience
        # check, a token it issued to another service would act here. No issuer, no check.
        for who, issuer, audience in (("SSO", self.sso_issuer, self.sso_audience),
                                      ("CITIZEN", self.citizen_issuer, self.citizen_audience)):
            if issuer and not audience:
                raise ValueError(f"MOTCUA_{who}_AUDIENCE must be set when MOTCUA_{who}_ISSUER is: the audience "
                                 "the identity provider puts in Motcua's tokens (tokens for other services are refused)")


MIN_KEY_CHARS = 32  # HS256 wants a key of at least 256 bits


def _secret_file(path: Path) -> str:
    """The signing key shared by every API process on this machine; created on first start.

    Created atomically (issue 7): the key is written and synced to a private temporary file in the
    same directory, then hard-linked to `path`, which fails if another process got there first; then
    that process's complete key is used. So `path` never exists empty or half-written, even with
    hundreds of workers starting at once. Raises RuntimeError for an existing key that is too short
    (e.g. left empty by an older version): every token it signed would be forgeable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)  # never replaces an existing key, unlike rename
            except FileExistsError:
                pass  # another process won the race: read theirs below
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if len(key) < MIN_KEY_CHARS:
        raise RuntimeError(f"the signing key in {path} has {len(key)} characters, fewer than {MIN_KEY_CHARS}: "
                           "delete the file to have a new key made (this ends every session), or set MOTCUA_SECRET_KEY")
    return key
