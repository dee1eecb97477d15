"""Login, first-login password change (R-8.2), lockout, logout, SSO tokens (R-8.1)."""
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.app import create_app
from api.config import ApiSettings
from tests.api.conftest import AGENCY, PASSWORD


def login(client, username="an", password=PASSWORD):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_new_account_must_change_password_before_anything_else(api):
    r = login(api.client)
    assert r.status_code == 200
    body = r.json
    assert body["must_change_password"] is True and body["scope"] == "password-change"
    first = body["access_token"]
    r = api.client.get("/api/tasks", headers=bearer(first))
    assert r.status_code == 403 and r.json["type"] == "urn:motcua:problem:password-change-required"
    assert api.client.get("/api/auth/me", headers=bearer(first)).status_code == 403
    r = api.client.post("/api/auth/password", headers=bearer(first),
                        json={"current_password": PASSWORD, "new_password": "một mật khẩu mới 2026"})
    assert r.status_code == 200 and r.json["scope"] == "api" and r.json["must_change_password"] is False
    assert api.client.get("/api/tasks", headers=bearer(r.json["access_token"])).status_code == 200
    assert api.client.get("/api/tasks", headers=bearer(first)).status_code == 401  # revoked
    # the next login gets a full token at once
    r = login(api.client, password="một mật khẩu mới 2026")
    assert r.json["scope"] == "api"


def test_password_rules(api):
    token = login(api.client).json["access_token"]
    r = api.client.post("/api/auth/password", headers=bearer(token),
                        json={"current_password": PASSWORD, "new_password": "short"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "new_password"
    r = api.client.post("/api/auth/password", headers=bearer(token),
                        json={"current_password": "wrong password", "new_password": "một mật khẩu mới 2026"})
    assert r.status_code == 401


def test_wrong_password_and_lockout(api, clock):
    for _ in range(4):
        r = login(api.client, password="wrong password")
        assert r.status_code == 401 and r.json["type"] == "urn:motcua:problem:invalid-credentials"
    assert login(api.client, password="wrong password").status_code == 401  # 5th failure locks
    r = login(api.client)  # even the right password is refused now
    assert r.status_code == 401 and r.json["type"] == "urn:motcua:problem:account-locked"
    assert "locked_until" in r.json
    clock.advance(timedelta(minutes=16))
    assert login(api.client).status_code == 200


def test_unknown_user_is_the_same_401(api):
    r = login(api.client, username="nobody")
    assert r.status_code == 401 and r.json["type"] == "urn:motcua:problem:invalid-credentials"


def test_malformed_login(api):
    r = api.client.post("/api/auth/login", json={"username": "an"})
    assert r.status_code == 400 and r.json["errors"] == [{"field": "password", "problem": "is required"}]
    r = api.client.post("/api/auth/login", data="not json", content_type="application/json")
    assert r.status_code == 400
    r = api.client.post("/api/auth/login", json={"username": "an", "password": "x", "extra": 1})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "extra"


def test_logout_revokes_the_token(api):
    assert api.get("an", "/api/auth/me").status_code == 200
    assert api.post("an", "/api/auth/logout").status_code == 204
    r = api.get("an", "/api/auth/me")
    assert r.status_code == 401 and "revoked" in r.json["detail"]


def test_missing_bad_and_expired_tokens(api, clock):
    assert api.client.get("/api/tasks").status_code == 401
    assert api.client.get("/api/tasks", headers={"Authorization": "Basic abc"}).status_code == 401
    assert api.client.get("/api/tasks", headers=bearer("not.a.jwt")).status_code == 401
    forged = jwt.encode({"iss": "motcua", "aud": "motcua-api", "sub": "an", "agency_id": AGENCY, "roles": ["admin"],
                         "jti": "x", "exp": 4102444800}, "another-secret-key-that-is-long-enough!!", algorithm="HS256")
    assert api.client.get("/api/tasks", headers=bearer(forged)).status_code == 401
    clock.advance(timedelta(hours=9))  # tokens last one working day
    r = api.get("an", "/api/auth/me")
    assert r.status_code == 401 and "expired" in r.json["detail"]


@pytest.fixture
def sso(services, tmp_path, app):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "sso.pem").write_bytes(pem)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [dict(jwk, kid="k1")]}))
    settings = dict(secret_key="test-secret-" + "x" * 40, sso_issuer="https://sso.daklak.gov.vn",
                    sso_audience="motcua")
    pem_app = create_app(services, ApiSettings(**settings, sso_public_key_file=tmp_path / "sso.pem"), start_scheduler=False)
    jwks_app = create_app(services, ApiSettings(**settings, sso_jwks_file=tmp_path / "jwks.json"), start_scheduler=False)

    def token(kid=None, **claims):
        now = services.clock.now()
        body = {"iss": "https://sso.daklak.gov.vn", "aud": "motcua", "preferred_username": "dung.sso",
                "agency_id": AGENCY, "roles": ["official"], "name": "Lê Văn Dũng",
                "exp": int((now + timedelta(hours=1)).timestamp())}
        body.update(claims)
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid} if kid else None)

    return pem_app.test_client(), jwks_app.test_client(), token


def test_sso_tokens_are_verified_with_the_configured_key(sso, services):
    pem_client, jwks_client, token = sso
    r = pem_client.get("/api/auth/me", headers=bearer(token()))
    assert r.status_code == 200 and r.json["source"] == "sso" and r.json["username"] == "dung.sso"
    assert jwks_client.get("/api/auth/me", headers=bearer(token(kid="k1"))).status_code == 200
    assert pem_client.get("/api/auth/me", headers=bearer(token(aud="someone-else"))).status_code == 401
    expired = token(exp=int((services.clock.now() - timedelta(minutes=1)).timestamp()))
    assert pem_client.get("/api/auth/me", headers=bearer(expired)).status_code == 401
    assert pem_client.get("/api/auth/me", headers=bearer(token(agency_id=None))).status_code == 401
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode({"iss": "https://sso.daklak.gov.vn", "aud": "motcua", "preferred_username": "x",
                         "agency_id": AGENCY, "exp": 4102444800}, other_key, algorithm="RS256")
    assert pem_client.get("/api/auth/me", headers=bearer(forged)).status_code == 401
    # the SSO official is now in the directory: an agency head can assign them tasks
    assert services.accounts.official("dung.sso").roles == frozenset({"official"})
