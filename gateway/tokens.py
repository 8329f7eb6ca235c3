"""Bearer tokens: verifying OIDC-style JWTs against a JWKS, and minting development tokens."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from contracts.access import DEPARTMENTS, ROLES

# Only asymmetric algorithms: "none" and the HMAC family are refused before any key is tried,
# so a token "signed" with the public key as an HMAC secret never verifies.
ALGORITHMS = ["ES256", "RS256"]
DEFAULT_ISSUER = "vetlife-local"
DEFAULT_AUDIENCE = "vetlife-gateway"
DEFAULT_KEY_DIR = ".run/keys"
# Clock skew tolerated between the identity provider and us.
LEEWAY_SECONDS = 30
MAX_TOKEN_LENGTH = 8192


class Unauthenticated(Exception):
    """The request carries no usable identity: missing, malformed, forged, expired or misaddressed."""


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the verified token says: never what a header claims."""

    subject: str
    roles: tuple[str, ...]
    stations: tuple[str, ...] = ()
    veteran_id: str | None = None
    department: str | None = None
    claims: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def role(self) -> str:
        """The roles as one label, for the audit log and the events' actor."""
        return ",".join(self.roles)

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.subject}"[:128]

    def as_reply(self) -> dict:
        return {"subject": self.subject, "roles": list(self.roles), "stations": list(self.stations),
                "veteran_id": self.veteran_id, "department": self.department}


@dataclass(frozen=True)
class TokenSettings:
    """Where keys come from and what a token must say; all from the environment (README)."""

    issuer: str
    audience: str
    jwks_path: str | None
    jwks_url: str | None
    signing_key_path: str

    @classmethod
    def from_env(cls, env=os.environ) -> TokenSettings:
        key_dir = env.get("VETLIFE_KEY_DIR", DEFAULT_KEY_DIR)
        jwks_url = env.get("VETLIFE_JWKS_URL") or None
        return cls(
            issuer=env.get("VETLIFE_TOKEN_ISSUER", DEFAULT_ISSUER),
            audience=env.get("VETLIFE_TOKEN_AUDIENCE", DEFAULT_AUDIENCE),
            jwks_path=None if jwks_url else env.get("VETLIFE_JWKS_PATH",
                                                    str(Path(key_dir) / "jwks.json")),
            jwks_url=jwks_url,
            signing_key_path=env.get("VETLIFE_SIGNING_KEY_PATH",
                                     str(Path(key_dir) / "signing-key.pem")),
        )


class KeySet:
    """The public keys tokens are checked against: a JWKS file (re-read when it changes) or the
    identity provider's JWKS endpoint (PyJWT's client caches and refreshes it)."""

    def __init__(self, settings: TokenSettings):
        self.settings = settings
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._client = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None

    def key_for(self, token: str) -> object:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("the token is malformed") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated("the token's algorithm is not accepted")
        if self._client is not None:
            try:
                return self._client.get_signing_key_from_jwt(token).key
            except jwt.PyJWTError:
                raise Unauthenticated("the token was not signed by a known key") from None
        keys = self._file_keys()
        kid = header.get("kid")
        key = keys.get(kid) or (next(iter(keys.values())) if kid is None and len(keys) == 1 else None)
        if key is None:
            raise Unauthenticated("the token was not signed by a known key")
        return key.key

    def _file_keys(self) -> dict[str | None, jwt.PyJWK]:
        path = Path(self.settings.jwks_path)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            # No keys: nothing verifies, so every protected route answers 401 (fail closed).
            return {}
        with self._lock:
            if mtime != self._mtime:
                document = json.loads(path.read_text())
                self._keys = {k.get("kid"): jwt.PyJWK(k) for k in document.get("keys", [])
                              if k.get("alg", "ES256") in ALGORITHMS}
                self._mtime = mtime
            return self._keys


class TokenVerifier:
    """Turns an Authorization header into a Principal, or raises Unauthenticated."""

    def __init__(self, settings: TokenSettings | None = None):
        self.settings = settings or TokenSettings.from_env()
        self.keys = KeySet(self.settings)

    def principal(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("this route needs 'Authorization: Bearer <token>'")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        key = self.keys.key_for(token)
        try:
            claims = jwt.decode(
                token, key, algorithms=ALGORITHMS, audience=self.settings.audience,
                issuer=self.settings.issuer, leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"], "verify_nbf": True},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("the token is not valid yet") from None
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError):
            raise Unauthenticated("the token was not issued for this service") from None
        except jwt.PyJWTError:
            raise Unauthenticated("the token is invalid") from None
        return principal_from_claims(claims)


def _strings(value, limit: int = 50) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or len(value) > limit:
        raise Unauthenticated("the token's claims are malformed")
    out = []
    for item in value:
        if not isinstance(item, str) or not item or len(item) > 100 or not item.isprintable():
            raise Unauthenticated("the token's claims are malformed")
        out.append(item)
    return tuple(out)


def principal_from_claims(claims: dict) -> Principal:
    """Our claims (`roles`, `stations`, `veteran_id`, `department`), or Keycloak's realm roles.

    Roles this gateway does not know are dropped: they grant nothing here.
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 100 or not subject.isprintable():
        raise Unauthenticated("the token has no usable subject")
    raw_roles = claims.get("roles")
    if raw_roles is None:
        raw_roles = (claims.get("realm_access") or {}).get("roles")
    roles = tuple(r for r in _strings(raw_roles) if r in ROLES)
    veteran_id = claims.get("veteran_id")
    department = claims.get("department")
    if veteran_id is not None:
        try:
            veteran_id = str(uuid.UUID(str(veteran_id)))
        except ValueError:
            raise Unauthenticated("the token's veteran_id is not a veteran id") from None
    if department is not None and department not in DEPARTMENTS:
        raise Unauthenticated("the token names an unknown department")
    return Principal(subject=subject, roles=roles, stations=_strings(claims.get("stations")),
                     veteran_id=veteran_id, department=department, claims=claims)


# -- development keys and tokens (make up, tests, the README's first steps) ---------------------

def ensure_signing_key(settings: TokenSettings) -> bool:
    """Create an ES256 key pair and its JWKS once; never overwrite. True when one was created."""
    key_path = Path(settings.signing_key_path)
    if key_path.exists():
        return False
    key_path.parent.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # Written private (0600) from the first byte.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": _kid(private.public_key()), "alg": "ES256", "use": "sig"})
    Path(settings.jwks_path or key_path.with_name("jwks.json")).write_text(
        json.dumps({"keys": [jwk]}, indent=2))
    return True


def _kid(public_key) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def mint(settings: TokenSettings, roles: list[str], subject: str, *, stations=(),
         veteran_id: str | None = None, department: str | None = None, minutes: int = 60,
         now: float | None = None, extra: dict | None = None) -> str:
    """A token signed with the development key, as the identity provider would issue it."""
    key_path = Path(settings.signing_key_path)
    private = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    issued = int(now if now is not None else time.time())
    claims = {"iss": settings.issuer, "aud": settings.audience, "sub": subject,
              "iat": issued, "nbf": issued, "exp": issued + minutes * 60,
              "jti": str(uuid.uuid4()), "roles": list(roles)}
    if stations:
        claims["stations"] = list(stations)
    if veteran_id:
        claims["veteran_id"] = veteran_id
    if department:
        claims["department"] = department
    claims.update(extra or {})
    return jwt.encode(claims, private, algorithm="ES256",
                      headers={"kid": _kid(private.public_key())})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vetlife-token",
        description="Print a development bearer token for the local gateway (make up's key).")
    parser.add_argument("role", nargs="?", choices=sorted(ROLES), help="the caller's role")
    parser.add_argument("--sub", help="the subject (default: dev-<role>)")
    parser.add_argument("--station", action="append", default=[], dest="stations",
                        help="a service station (repeatable; station_worker needs one)")
    parser.add_argument("--veteran-id", help="the veteran's own id (role veteran needs it)")
    parser.add_argument("--department", choices=sorted(DEPARTMENTS),
                        help="the department (role department needs it)")
    parser.add_argument("--minutes", type=int, default=60, help="lifetime (default 60)")
    parser.add_argument("--init", action="store_true",
                        help="only create the development signing key if it is missing")
    args = parser.parse_args(argv)
    settings = TokenSettings.from_env()
    created = ensure_signing_key(settings)
    if args.init:
        print(f"vetlife-token: signing key {'created' if created else 'already present'} at "
              f"{settings.signing_key_path}", file=sys.stderr)
        return 0
    if args.role is None:
        parser.error("give a role")
    if args.role == "veteran" and not args.veteran_id:
        parser.error("a veteran token needs --veteran-id")
    if args.role == "station_worker" and not args.stations:
        parser.error("a station_worker token needs at least one --station")
    if args.role == "department" and not args.department:
        parser.error("a department token needs --department")
    if not 1 <= args.minutes <= 24 * 60:
        parser.error("--minutes must be between 1 and 1440")
    if args.veteran_id:
        try:
            args.veteran_id = str(uuid.UUID(args.veteran_id))
        except ValueError:
            parser.error("--veteran-id must be a veteran id (a UUID)")
    print(mint(settings, [args.role], args.sub or f"dev-{args.role}", stations=args.stations,
               veteran_id=args.veteran_id, department=args.department, minutes=args.minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
