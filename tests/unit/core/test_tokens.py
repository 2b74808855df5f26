"""The token verifier against a real JWKS endpoint on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.jwks import CLIENT_ID, ISSUER, KID, TokenIssuer
from tradewind.auth.tokens import InvalidTokenError, TokenVerifier, bearer_token


@pytest.fixture(scope="module")
def issuer() -> Iterator[TokenIssuer]:
    with TokenIssuer() as running:
        yield running


@pytest.fixture
def verifier(issuer: TokenIssuer) -> TokenVerifier:
    return TokenVerifier(issuer.jwks_url, ISSUER, CLIENT_ID)


def test_valid_id_token_gives_the_principal(verifier: TokenVerifier, issuer: TokenIssuer) -> None:
    principal = verifier.verify(issuer.token()).principal()
    assert (principal.user_id, principal.email, principal.groups) == ("user-1", "investor@example.com", {"investor"})


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 10}, "(?i)expired"),
        ({"aud": "someone-else"}, "(?i)audience"),
        ({"iss": "https://evil.example.com/pool"}, "(?i)issuer"),
        ({"token_use": "access"}, "ID token"),
    ],
)
def test_tokens_not_meant_for_us_are_refused(
    verifier: TokenVerifier, issuer: TokenIssuer, overrides: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidTokenError, match=reason):
        verifier.verify(issuer.token(**overrides))


def test_a_tampered_payload_is_refused(verifier: TokenVerifier, issuer: TokenIssuer) -> None:
    header, _, signature = issuer.token().split(".")
    forged = jwt.utils.base64url_encode(json.dumps(issuer.claims(**{"cognito:groups": ["admin"]})).encode())
    with pytest.raises(InvalidTokenError):
        verifier.verify(f"{header}.{forged.decode()}.{signature}")


def test_a_token_signed_by_another_key_is_refused(verifier: TokenVerifier, issuer: TokenIssuer) -> None:
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidTokenError):
        verifier.verify(issuer.sign(issuer.claims(), key=impostor))


def test_an_unsigned_token_is_refused(verifier: TokenVerifier, issuer: TokenIssuer) -> None:
    unsigned = jwt.encode(issuer.claims(), key=None, algorithm="none", headers={"kid": KID})
    with pytest.raises(InvalidTokenError):
        verifier.verify(unsigned)


def test_garbage_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidTokenError):
        verifier.verify("not-a-jwt")


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Bearer"])
def test_bearer_header_must_carry_a_token(header: str | None) -> None:
    with pytest.raises(InvalidTokenError):
        bearer_token(header)


def test_bearer_header_yields_its_token() -> None:
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
