"""Applicants' tokens from the configured national e-identity issuer (R-8.1): verified with its
public key or JWKS file, ID number and name from configurable claims."""
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.app import create_app
from api.config import ApiSettings

ISSUER = "https://vneid.example.gov.vn"


@pytest.fixture
def eid(services, tmp_path, app):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "eid.pem").write_bytes(pem)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [dict(jwk, kid="e1")]}))
    common = dict(secret_key="test-secret-" + "x" * 40, citizen_issuer=ISSUER, citizen_audience="motcua",
                  citizen_id_claim="so_dinh_danh", citizen_name_claim="ho_ten")
    pem_app = create_app(services, ApiSettings(**common, citizen_public_key_file=tmp_path / "eid.pem"),
                         start_scheduler=False)
    jwks_app = create_app(services, ApiSettings(**common, citizen_jwks_file=tmp_path / "jwks.json"),
                          start_scheduler=False)

    def token(kid=None, signer=key, **claims):
        body = {"iss": ISSUER, "aud": "motcua", "so_dinh_danh": "001085012345", "ho_ten": "Nguyễn Văn An",
                "exp": int((services.clock.now() + timedelta(hours=1)).timestamp())}
        body.update(claims)
        body = {name: value for name, value in body.items() if value is not None}  # None: no such claim
        return {"Authorization": "Bearer " + jwt.encode(body, signer, algorithm="RS256",
                                                         headers={"kid": kid} if kid else None)}

    return pem_app.test_client(), jwks_app.test_client(), token


def test_eid_tokens_are_verified_with_the_configured_key(eid, services):
    pem_client, jwks_client, token = eid
    assert pem_client.get("/api/public/dossiers", headers=token()).status_code == 200
    assert jwks_client.get("/api/public/dossiers", headers=token(kid="e1")).status_code == 200
    assert pem_client.get("/api/public/dossiers", headers=token(aud="other")).status_code == 401
    assert pem_client.get("/api/public/dossiers", headers=token(aud=None)).status_code == 401  # no aud claim
    expired = token(exp=int((services.clock.now() - timedelta(minutes=1)).timestamp()))
    assert pem_client.get("/api/public/dossiers", headers=expired).status_code == 401
    for bad in ({"so_dinh_danh": "12345"}, {"so_dinh_danh": None}, {"ho_ten": ""}, {"ho_ten": "a\x00b"}):
        answer = pem_client.get("/api/public/dossiers", headers=token(**bad))
        assert answer.status_code == 401, bad
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert pem_client.get("/api/public/dossiers", headers=token(signer=other_key)).status_code == 401
    # An e-identity token grants no official's action.
    assert pem_client.get("/api/tasks", headers=token()).status_code == 403
