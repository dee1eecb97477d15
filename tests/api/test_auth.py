"""Login, first-login password change (R-8.2), lockout, logout, SSO tokens (R-8.1)."""
import json
from dataclasses import replace
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from api.app import create_app
from api.config import ApiSettings
from engine.persistence.models import NO_PASSWORD, Account
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
        body = {name: value for name, value in body.items() if value is not None}  # None: no such claim
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


def test_sso_tokens_without_our_audience_are_refused(sso):
    # the provider signs tokens for many services with one key; one issued to another
    # service, or to none, must not act here.
    pem_client, _jwks, token = sso
    assert pem_client.get("/api/auth/me", headers=bearer(token(aud=None))).status_code == 401  # no aud claim
    assert pem_client.get("/api/auth/me", headers=bearer(token(aud=["other", "another"]))).status_code == 401


@pytest.mark.parametrize("who", ["sso", "citizen"])
def test_an_issuer_without_an_audience_is_a_configuration_error(who):
    with pytest.raises(ValueError, match=f"MOTCUA_{who.upper()}_AUDIENCE must be set"):
        ApiSettings(secret_key="test-secret-" + "x" * 40, **{f"{who}_issuer": "https://id.example.gov.vn"})
    ApiSettings(secret_key="test-secret-" + "x" * 40, **{f"{who}_issuer": "https://id.example.gov.vn",
                                                         f"{who}_audience": "motcua"})


# ---------------------------------------------------------------- sessions that really end

NEW_PASSWORD = "một mật khẩu mới 2026"


def change(client, token, current=PASSWORD, new=NEW_PASSWORD):
    return client.post("/api/auth/password", headers=bearer(token), json={"current_password": current,
                                                                          "new_password": new})


def test_a_password_change_ends_every_other_session(api):
    first, other = (login(api.client).json["access_token"] for _ in range(2))  # two password-change tokens
    changed = change(api.client, first)
    assert changed.status_code == 200
    # the second first-login token cannot change the password again, nor do anything else
    r = change(api.client, other, current=NEW_PASSWORD, new="mật khẩu thứ ba 2027")
    assert r.status_code == 401 and r.json["type"] == "urn:motcua:problem:unauthenticated"
    laptop, phone = (login(api.client, password=NEW_PASSWORD).json["access_token"] for _ in range(2))
    assert api.client.get("/api/tasks", headers=bearer(phone)).status_code == 200
    renewed = change(api.client, laptop, current=NEW_PASSWORD, new="mật khẩu thứ ba 2027")
    assert renewed.status_code == 200
    for ended in (phone, laptop, changed.json["access_token"], api.tokens["an"]):
        r = api.client.get("/api/tasks", headers=bearer(ended))
        assert r.status_code == 401 and "password was changed" in r.json["detail"]
    assert api.client.get("/api/auth/me", headers=bearer(renewed.json["access_token"])).status_code == 200


def test_a_deactivated_account_can_no_longer_act(api):
    dossier = api.register()
    url = f"/api/tasks/{dossier['current_tasks'][0]['task_id']}"
    assert api.post("desk", url + "/claim").status_code == 200
    api.services.accounts.set_active("desk", False)
    for r in (api.post("desk", url + "/complete", {"data": {"complete": True}}), api.post("desk", url + "/unclaim"),
              api.get("desk", "/api/auth/me")):
        assert r.status_code == 401 and "deactivated" in r.json["detail"]
    assert login(api.client, "desk").json["detail"] == "wrong username or password"
    assert api.get("an", "/api/auth/me").status_code == 200  # nobody else is affected


def test_roles_come_from_the_directory_at_each_request(api):
    """A local token's roles are read with the session check: a change applies at once."""
    from engine.persistence.models import Account
    from sqlalchemy import update

    with api.services.ctx.uow() as uow:
        uow.session.execute(update(Account).where(Account.username == "an").values(roles=["approver"]))
        uow.commit()
    assert api.get("an", "/api/auth/me").json["roles"] == ["approver"]


# ---------------------------------------------------------------- login answers and limits


def _same_parts(r):
    body = dict(r.json)
    body.pop("request_id")
    return r.status_code, body


def test_unknown_user_and_wrong_password_answer_alike(api):
    assert _same_parts(login(api.client, "an", "wrong password")) == _same_parts(login(api.client, "nobody", "wrong password"))
    # SSO-only directory entries and deactivated accounts answer the same too
    api.services.accounts.set_active("binh", False)
    assert _same_parts(login(api.client, "binh")) == _same_parts(login(api.client, "nobody", "x"))


def test_an_unknown_username_locks_too(api, clock):
    for _ in range(5):
        assert login(api.client, "nobody", "wrong password").status_code == 401
    r = login(api.client, "nobody", "wrong password")
    assert r.status_code == 401 and r.json["type"] == "urn:motcua:problem:account-locked"
    # the province's time with its offset, in `locked_until` and in the message (issue 14)
    assert r.json["locked_until"] == "2026-11-26T09:15:00+07:00" == (clock.now() + timedelta(minutes=15)).isoformat()
    assert "locked until 2026-11-26T09:15:00+07:00" in r.json["detail"]


def test_failed_logins_per_client_address_answer_429_with_retry_after(api):
    api.services.accounts.policy = replace(api.services.accounts.policy, address_limit=3)
    spoof = {"X-Forwarded-For": "203.0.113.9"}  # ignored: no trusted proxy is configured
    for i in range(3):
        r = api.client.post("/api/auth/login", json={"username": f"u{i}", "password": "x"}, headers=spoof)
        assert r.status_code == 401
    r = api.client.post("/api/auth/login", json={"username": "an", "password": PASSWORD},
                        headers={"X-Forwarded-For": "198.51.100.1"})
    assert r.status_code == 429 and r.json["type"] == "urn:motcua:problem:too-many-requests"
    assert r.headers["Retry-After"] == "60"
    other = api.client.post("/api/auth/login", json={"username": "an", "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert other.status_code == 200


def test_behind_a_trusted_proxy_the_client_address_comes_from_its_header(services, app, api):
    settings = replace(app.extensions["motcua_tokens"].settings, trusted_proxy_header="X-Forwarded-For",
                       trusted_proxy_hops=1)
    proxied = create_app(services, settings, start_scheduler=False).test_client()
    services.accounts.policy = replace(services.accounts.policy, address_limit=2)

    def attempt(chain):
        return proxied.post("/api/auth/login", json={"username": "nobody", "password": "x"},
                            headers={"X-Forwarded-For": chain}, environ_base={"REMOTE_ADDR": "10.0.0.1"})

    # the client may prepend anything; the proxy appends the address it saw, the one counted
    assert [attempt(f"{fake}, 192.0.2.5").status_code for fake in ("1.1.1.1", "2.2.2.2", "3.3.3.3")] == [401, 401, 429]
    assert attempt("192.0.2.6").status_code == 401  # another client behind the same proxy


def test_every_api_process_shares_the_counts(api, services, clean_db):
    """Two processes = two engines and connection pools on one database: no count lives in memory."""
    from engine.bootstrap import build

    other = build(replace(services.settings), clock=services.clock, migrate=False)
    try:
        for accounts in (services.accounts, other.accounts):
            accounts.policy = replace(accounts.policy, address_limit=4)
        other_app = create_app(other, api_settings=ApiSettings(secret_key="test-secret-" + "x" * 40),
                               start_scheduler=False).test_client()
        answers = [client.post("/api/auth/login", json={"username": "nobody", "password": "x"}).status_code
                   for client in (api.client, other_app, api.client, other_app, api.client)]
        assert answers == [401, 401, 401, 401, 429]
    finally:
        other.close()


def test_the_openapi_document_shows_429_with_retry_after(api):
    doc = api.client.get("/api/openapi.json").json
    answer = doc["paths"]["/api/auth/login"]["post"]["responses"]["429"]
    assert answer["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert "urn:motcua:problem:too-many-requests" in doc["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]


# ---------------------------------------------------------------- what an SSO token may grant


def test_sso_tokens_grant_only_the_allowed_roles(sso, services):
    pem_client, _, token = sso
    r = pem_client.get("/api/auth/me", headers=bearer(token(preferred_username="mallory", roles=[
        "admin", "control_office", "official", "offline_access"])))
    assert r.status_code == 200 and r.json["roles"] == ["official"]
    assert services.accounts.official("mallory").roles == frozenset({"official"})
    with services.ctx.uow(write=False) as uow:
        [record] = [a for a in uow.audit.recent() if a.action == "sso-roles-dropped"]
    assert (record.actor, record.detail) == ("mallory", {"dropped": ["admin", "control_office"], "granted": ["official"]})
    # only oversight roles: logged in, but with no role at all
    r = pem_client.get("/api/auth/me", headers=bearer(token(preferred_username="eve", roles=["admin"])))
    assert r.json["roles"] == []
    assert pem_client.get("/api/tasks?dossier=X", headers=bearer(token(preferred_username="eve", roles=["admin"]))).json["items"] == []


def test_the_sso_allow_list_is_configurable_but_never_grants_oversight(services, monkeypatch):
    from engine.services.accounts import AccountPolicy
    from engine.settings import Settings

    monkeypatch.setenv("MOTCUA_SSO_ALLOWED_ROLES", "official, analyst")
    assert Settings.from_env().sso_allowed_roles == frozenset({"official", "analyst"})
    monkeypatch.setenv("MOTCUA_SSO_ALLOWED_ROLES", "")
    assert Settings.from_env().sso_allowed_roles is None  # the default: the officials' roles
    assert AccountPolicy().sso_roles == frozenset({"one_stop_officer", "agency_head", "official", "approver"})
    for refused in ({"official", "admin"}, {"control_office"}, {"officail"}):
        with pytest.raises(ValueError):
            AccountPolicy(sso_roles=frozenset(refused))


def test_a_deactivated_sso_official_is_refused_at_once(sso, services):
    pem_client, _, token = sso
    assert pem_client.get("/api/auth/me", headers=bearer(token())).status_code == 200
    services.accounts.set_active("dung.sso", False)
    r = pem_client.get("/api/auth/me", headers=bearer(token()))
    assert r.status_code == 401 and "deactivated" in r.json["detail"]
    assert services.accounts.official("dung.sso") is None  # and not re-activated by the token


def test_an_sso_token_cannot_take_over_a_local_account(sso, services, api):
    pem_client, _, token = sso
    r = pem_client.get("/api/auth/me", headers=bearer(token(preferred_username="control", roles=["official"])))
    assert r.status_code == 401 and "local account" in r.json["detail"]
    assert services.accounts.official("control").roles == frozenset({"control_office"})


# ---------------------------------------------------------------- odd SSO claims: 401 naming the claim, never 500

@pytest.mark.parametrize("claims, named", [
    ({"preferred_username": "u" * 129}, "preferred_username"),  # longer than the directory's user names
    ({"preferred_username": "dung\x00sso"}, "preferred_username"),  # NUL: PostgreSQL text refuses it
    ({"preferred_username": "dung sso"}, "preferred_username"),
    ({"preferred_username": "\ud800"}, "preferred_username"),  # a lone surrogate
    ({"agency_id": "A" * 36}, "agency_id"),  # agency ids are 1-35 characters (as for local accounts)
    ({"agency_id": "../not an agency"}, "agency_id"),
    ({"name": "N" * 256}, "name"),
    ({"name": {"first": "Dũng"}}, "name"),
    ({"exp": 10**20}, "exp"),  # beyond any date: OverflowError before
    ({"exp": "4102444800"}, "exp"),  # RFC 7519 §2: a NumericDate is a JSON number
    ({"nbf": 10**20}, "nbf"),
    ({"iat": "yesterday"}, "iat"),
])
def test_odd_sso_claims_are_refused_with_the_claim_named(sso, services, claims, named):
    pem_client, _, token = sso
    r = pem_client.get("/api/auth/me", headers=bearer(token(**claims)))
    assert r.status_code == 401 and r.json["type"] == "urn:motcua:problem:unauthenticated"
    assert repr(named) in r.json["detail"]
    with services.ctx.uow(write=False) as uow:  # nothing of it reached the directory
        assert uow.session.scalars(select(Account.username).where(Account.password_hash == NO_PASSWORD)).all() == []


@pytest.mark.parametrize("jti", [None, "j" * 200, "\ud800"])
def test_logout_ends_an_sso_session_whatever_its_token_id(sso, jti):
    """An SSO token without `jti` (it is optional, RFC 7519 §4.1.7) or with a long one is revoked
    by a digest: logout answered 204 and the token went on working (no id), or answered 500."""
    pem_client, _, token = sso
    t = token(jti=jti) if jti else token()
    assert pem_client.get("/api/auth/me", headers=bearer(t)).status_code == 200
    assert pem_client.post("/api/auth/logout", headers=bearer(t)).status_code == 204
    r = pem_client.get("/api/auth/me", headers=bearer(t))
    assert r.status_code == 401 and "revoked" in r.json["detail"]
    assert pem_client.get("/api/auth/me", headers=bearer(token(jti="another"))).status_code == 200


def test_reactivating_an_sso_official_never_revives_the_old_tokens(sso, services, clock):
    """docs/operations.md: `activate` allows new logins only. Local tokens carry a generation; an
    SSO token is judged by when it was issued (`iat`): one from before the (de)activation, or
    without `iat`, stays refused. Before, the old SSO token worked again after `activate`."""
    pem_client, _, token = sso
    issued = int(clock.now().timestamp())
    old, old_without_iat = token(iat=issued), token()
    assert pem_client.get("/api/auth/me", headers=bearer(old)).status_code == 200
    clock.advance(timedelta(minutes=5))
    services.accounts.set_active("dung.sso", False)
    clock.advance(timedelta(minutes=5))
    services.accounts.set_active("dung.sso", True)
    for t in (old, old_without_iat):
        r = pem_client.get("/api/auth/me", headers=bearer(t))
        assert r.status_code == 401 and "ended" in r.json["detail"]
    clock.advance(timedelta(minutes=1))
    fresh = token(iat=int(clock.now().timestamp()))
    assert pem_client.get("/api/auth/me", headers=bearer(fresh)).status_code == 200
