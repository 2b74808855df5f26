"""Verification of Cognito ID tokens.

API Gateway's Cognito authorizer verifies tokens for the REST API, but the
WebSocket API can only authorise through a Lambda authorizer, and the local
cloud's gateway has to do what API Gateway does. Both use this one verifier so
that the rules (RS256 only, issuer, audience, expiry, `token_use`) are the same
everywhere.
"""

from __future__ import annotations

from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict

from tradewind.auth.principal import Principal


class InvalidTokenError(Exception):
    """The token is missing, malformed, forged, expired or meant for someone else."""


class Claims(BaseModel):
    """The claims of a verified ID token, kept whole: authorizers pass them on."""

    model_config = ConfigDict(frozen=True)

    payload: dict[str, Any]

    @property
    def token_use(self) -> str:
        return str(self.payload.get("token_use", ""))

    def principal(self) -> Principal:
        return Principal.from_claims(self.payload)


class TokenVerifier:
    """Verifies ID tokens issued by one user pool for one app client."""

    def __init__(self, jwks_url: str, issuer: str, client_id: str) -> None:
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600)
        self._issuer = issuer
        self._client_id = client_id

    def verify(self, token: str) -> Claims:
        try:
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            payload = jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                audience=self._client_id,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "sub", "aud"]},
            )
        except jwt.PyJWKClientConnectionError:
            # The key set could not be fetched: a server-side fault, not the caller's.
            raise
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(str(exc)) from exc
        claims = Claims(payload=payload)
        if claims.token_use != "id":
            raise InvalidTokenError(f"expected an ID token, got token_use={claims.token_use!r}")
        return claims


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise InvalidTokenError("missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("expected 'Authorization: Bearer <token>'")
    return token.strip()
