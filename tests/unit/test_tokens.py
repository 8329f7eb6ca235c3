"""Bearer tokens: every kind of bad token is refused, a good one gives the claims' principal."""
import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.tokens import TokenSettings, TokenVerifier, Unauthenticated, ensure_signing_key, mint


@pytest.fixture
def settings(tmp_path):
    s = TokenSettings(issuer="vetlife-local", audience="vetlife-gateway",
                      jwks_path=str(tmp_path / "jwks.json"), jwks_url=None,
                      signing_key_path=str(tmp_path / "signing-key.pem"))
    assert ensure_signing_key(s) is True
    assert ensure_signing_key(s) is False  # created once, never overwritten
    return s


@pytest.fixture
def verifier(settings):
    return TokenVerifier(settings)


def _kid(settings):
    return json.loads(open(settings.jwks_path).read())["keys"][0]["kid"]


def _refused(verifier, header):
    with pytest.raises(Unauthenticated):
        verifier.principal(header)


def test_a_good_token_gives_its_subject_roles_and_claims(settings, verifier):
    veteran_id = str(uuid.uuid4())
    token = mint(settings, ["veteran"], "vet-1", veteran_id=veteran_id)
    p = verifier.principal(f"Bearer {token}")
    assert (p.subject, p.roles, p.veteran_id) == ("vet-1", ("veteran",), veteran_id)
    assert p.actor == "veteran:vet-1"
    worker = verifier.principal("Bearer " + mint(settings, ["station_worker"], "w1",
                                                   stations=["多湖街道退役军人服务站"]))
    assert worker.stations == ("多湖街道退役军人服务站",)


def test_the_signing_key_is_private_to_its_owner(settings):
    import os
    import stat
    assert stat.S_IMODE(os.stat(settings.signing_key_path).st_mode) == 0o600


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz",
                                    "Bearer not.a.jwt", "Bearer a.b", "Bearer " + "x" * 9000])
def test_missing_or_malformed_is_refused(verifier, header):
    _refused(verifier, header)


def test_a_token_signed_by_another_key_is_refused(settings, verifier):
    other = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    forged = jwt.encode({"iss": settings.issuer, "aud": settings.audience, "sub": "x",
                         "iat": now, "exp": now + 600, "roles": ["registry_clerk"]},
                        other, algorithm="ES256", headers={"kid": _kid(settings)})
    _refused(verifier, f"Bearer {forged}")


def test_a_tampered_payload_is_refused(settings, verifier):
    token = mint(settings, ["leader"], "l1")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["registry_clerk"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _refused(verifier, f"Bearer {header}.{forged}.{signature}")


def test_expired_and_not_yet_valid_are_refused(settings, verifier):
    _refused(verifier, "Bearer " + mint(settings, ["leader"], "l1", now=time.time() - 7200))
    _refused(verifier, "Bearer " + mint(settings, ["leader"], "l1", now=time.time() + 3600))


def test_wrong_issuer_or_audience_is_refused(settings, verifier):
    _refused(verifier, "Bearer " + mint(settings, ["leader"], "l1",
                                        extra={"iss": "https://elsewhere.example"}))
    _refused(verifier, "Bearer " + mint(settings, ["leader"], "l1",
                                        extra={"aud": "another-service"}))


def test_missing_required_claims_are_refused(settings, verifier):
    private = serialization.load_pem_private_key(open(settings.signing_key_path, "rb").read(), None)
    now = int(time.time())
    for missing in ("exp", "sub", "iss", "aud", "iat"):
        claims = {"iss": settings.issuer, "aud": settings.audience, "sub": "s", "iat": now,
                  "exp": now + 600, "roles": ["leader"]}
        del claims[missing]
        token = jwt.encode(claims, private, algorithm="ES256", headers={"kid": _kid(settings)})
        _refused(verifier, f"Bearer {token}")


def test_alg_none_is_refused(settings, verifier):
    now = int(time.time())
    claims = {"iss": settings.issuer, "aud": settings.audience, "sub": "s", "iat": now,
              "exp": now + 600, "roles": ["registry_clerk"]}
    unsigned = jwt.encode(claims, None, algorithm="none")
    _refused(verifier, f"Bearer {unsigned}")


def test_hmac_signed_with_the_public_key_is_refused(settings, verifier):
    """The classic confusion attack: the public key (which anyone has) used as an HMAC secret."""
    jwk = json.loads(open(settings.jwks_path).read())["keys"][0]
    public_pem = jwt.PyJWK(jwk).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    claims = {"iss": settings.issuer, "aud": settings.audience, "sub": "s", "iat": now,
              "exp": now + 600, "roles": ["registry_clerk"]}
    header = base64.urlsafe_b64encode(json.dumps(
        {"alg": "HS256", "typ": "JWT", "kid": jwk["kid"]}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    import hashlib
    import hmac
    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, header + b"." + body, hashlib.sha256).digest()).rstrip(b"=")
    _refused(verifier, "Bearer " + b".".join([header, body, signature]).decode())


def test_an_rs256_token_from_the_identity_providers_key_is_accepted(settings, tmp_path):
    """Production IdPs (Keycloak) sign with RS256 by default: a JWKS with an RSA key works."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": "idp-1", "alg": "RS256", "use": "sig"})
    (tmp_path / "idp.json").write_text(json.dumps({"keys": [jwk]}))
    idp = TokenSettings(settings.issuer, settings.audience, str(tmp_path / "idp.json"), None,
                        settings.signing_key_path)
    now = int(time.time())
    token = jwt.encode({"iss": idp.issuer, "aud": idp.audience, "sub": "kc-user", "iat": now,
                        "exp": now + 600, "realm_access": {"roles": ["auditor", "offline"]}},
                       private, algorithm="RS256", headers={"kid": "idp-1"})
    principal = TokenVerifier(idp).principal(f"Bearer {token}")
    assert principal.roles == ("auditor",)  # roles we do not know grant nothing and are dropped


def test_malformed_claims_are_refused(settings, verifier):
    _refused(verifier, "Bearer " + mint(settings, ["veteran"], "v", extra={"veteran_id": "x"}))
    _refused(verifier, "Bearer " + mint(settings, ["department"], "d",
                                        extra={"department": "tax_bureau"}))
    _refused(verifier, "Bearer " + mint(settings, ["station_worker"], "w",
                                        extra={"stations": [1, 2]}))


def test_no_key_file_means_nothing_verifies(settings, tmp_path):
    absent = TokenSettings(settings.issuer, settings.audience, str(tmp_path / "none.json"), None,
                           settings.signing_key_path)
    _refused(TokenVerifier(absent), "Bearer " + mint(settings, ["leader"], "l1"))
