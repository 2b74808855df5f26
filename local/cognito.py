"""The emulated user pool: created from the CDK construct's settings, with two demo users.

Sign-in is the real flow: USER_PASSWORD_AUTH, then a SOFTWARE_TOKEN_MFA
challenge answered with a TOTP code. The demo users go through the same
first-login path a real user does (NEW_PASSWORD_REQUIRED -> MFA_SETUP ->
AssociateSoftwareToken -> VerifySoftwareToken), so the pool's state is what
AWS would hold after a real onboarding.
"""

from __future__ import annotations

import base64
import secrets
import string
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from pydantic import BaseModel, ConfigDict

from local.files import write_atomically
from local.template import Template, TemplateError
from tradewind.resources import USER_GROUPS

DEMO_USERS: dict[str, str] = {"admin": "admin@tradewind.local", "investor": "investor@tradewind.local"}
# moto verifies a TOTP code against the current 30 s step only: never answer near its end.
_TOTP_MARGIN_S = 3
_TOTP_STEP_S = 30

# CloudFormation property names that CreateUserPool / CreateUserPoolClient take as they are.
_POOL_PROPERTIES = (
    "Policies",
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "UsernameAttributes",
    "AdminCreateUserConfig",
    "Schema",
    "UsernameConfiguration",
    "AccountRecoverySetting",
    "MfaConfiguration",
)
_CLIENT_PROPERTIES = (
    "ClientName",
    "ExplicitAuthFlows",
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
)


class CredentialsLost(Exception):
    """Users exist but their passwords and TOTP secret are nowhere to be found."""


class DemoUser(BaseModel):
    model_config = ConfigDict(frozen=True)

    username: str
    password: str
    group: str
    user_id: str


class DemoCredentials(BaseModel):
    """`.local/demo-credentials.json`: everything needed to sign in to the local cloud."""

    model_config = ConfigDict(frozen=True)

    cognito_endpoint: str
    region: str
    user_pool_id: str
    client_id: str
    totp_secret: str
    gateway_url: str
    websocket_url: str
    users: dict[str, DemoUser]

    @classmethod
    def load(cls, path: Path) -> DemoCredentials:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    def save(self, path: Path) -> None:
        write_atomically(path, self.model_dump_json(indent=2).encode(), mode=0o600)


class Pool(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_pool_id: str
    client_id: str


def totp_code(secret: str) -> str:
    """The current RFC 6238 code, waiting for a fresh step if this one is about to expire.

    `cryptography`'s TOTP, not pyotp: moto's secret decodes to 7 bytes, which
    pyotp refuses (it requires 112 bits) but authenticator apps accept.
    """
    padded = secret.upper() + "=" * (-len(secret) % 8)
    totp = TOTP(base64.b32decode(padded), 6, SHA1(), _TOTP_STEP_S, enforce_key_length=False)  # noqa: S303 - RFC 6238
    remaining = _TOTP_STEP_S - time.time() % _TOTP_STEP_S
    if remaining < _TOTP_MARGIN_S:
        time.sleep(remaining + 0.1)
    return totp.generate(int(time.time())).decode()


def generate_password(length: int = 20) -> str:
    """Meets any Cognito policy: upper, lower, digit and symbol, 20 characters."""
    symbols = "!@#$%^&*-_=+"
    alphabet = string.ascii_letters + string.digits + symbols
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, symbols)
        if all(any(c in group for c in password) for group in classes):
            return password


def _single(template: Template, resource_type: str) -> Any:
    resources = list(template.of_type(resource_type))
    if len(resources) != 1:
        raise TemplateError(f"expected one {resource_type} in the template, found {len(resources)}")
    return resources[0]


def ensure_pool(cognito: Any, template: Template) -> Pool:
    """Finds the pool (restored from a snapshot) or creates it from the template."""
    pool_resource = _single(template, "AWS::Cognito::UserPool")
    client_resource = _single(template, "AWS::Cognito::UserPoolClient")
    name = template.physical_name(pool_resource)
    properties = template.resolve(pool_resource.properties)
    client_properties = template.resolve(client_resource.properties)
    existing = [p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == name]
    if existing:
        pool_id = existing[0]["Id"]
        client_id = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    else:
        request = {key: properties[key] for key in _POOL_PROPERTIES if key in properties}
        pool_id = cognito.create_user_pool(PoolName=name, **request)["UserPool"]["Id"]
        if "SOFTWARE_TOKEN_MFA" in properties.get("EnabledMfas", []):
            cognito.set_user_pool_mfa_config(
                UserPoolId=pool_id,
                SoftwareTokenMfaConfiguration={"Enabled": True},
                MfaConfiguration=properties.get("MfaConfiguration", "OFF"),
            )
        client_request = {key: client_properties[key] for key in _CLIENT_PROPERTIES if key in client_properties}
        client_id = cognito.create_user_pool_client(UserPoolId=pool_id, **client_request)["UserPoolClient"]["ClientId"]
        for group in USER_GROUPS:
            cognito.create_group(UserPoolId=pool_id, GroupName=group)
    template.bind(pool_resource.logical_id, pool_id, {"Arn": f"arn:aws:cognito-idp:::userpool/{pool_id}"})
    template.bind(client_resource.logical_id, client_id)
    return Pool(user_pool_id=pool_id, client_id=client_id)


def _onboard(cognito: Any, pool: Pool, username: str, password: str) -> str:
    """First sign-in of a new user: set the password, enrol TOTP. Returns the TOTP secret."""
    temporary = generate_password()
    cognito.admin_create_user(
        UserPoolId=pool.user_pool_id,
        Username=username,
        TemporaryPassword=temporary,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": username}, {"Name": "email_verified", "Value": "true"}],
    )
    auth = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": temporary},
    )
    challenge = cognito.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=auth["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": password},
    )
    if challenge.get("ChallengeName") != "MFA_SETUP":
        raise RuntimeError(f"expected the MFA_SETUP challenge for {username}, got {challenge.get('ChallengeName')}")
    association = cognito.associate_software_token(Session=challenge["Session"])
    secret = str(association["SecretCode"]).upper()
    verified = cognito.verify_software_token(
        Session=association.get("Session", challenge["Session"]), UserCode=totp_code(secret), FriendlyDeviceName="demo"
    )
    cognito.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="MFA_SETUP",
        Session=verified.get("Session", challenge["Session"]),
        ChallengeResponses={"USERNAME": username},
    )
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool.user_pool_id,
        Username=username,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    return secret


def ensure_demo_users(cognito: Any, pool: Pool, previous: DemoCredentials | None) -> tuple[dict[str, DemoUser], str]:
    """Creates the demo users once; on later starts keeps them and their passwords."""
    # With email as the username attribute, `Username` is the sub: match on the email.
    existing = {
        attribute["Value"]
        for user in cognito.list_users(UserPoolId=pool.user_pool_id)["Users"]
        for attribute in user.get("Attributes", [])
        if attribute["Name"] == "email"
    }
    if existing and previous is None:
        raise CredentialsLost(
            "the snapshot holds demo users but their credentials file is gone: restore it or start over with --fresh"
        )
    users: dict[str, DemoUser] = {}
    secret = previous.totp_secret if previous else ""
    for group, username in DEMO_USERS.items():
        known = previous.users.get(group) if previous else None
        password = known.password if known else generate_password()
        if username in existing:
            # Re-assert the password: the credentials file is the user's only copy.
            cognito.admin_set_user_password(
                UserPoolId=pool.user_pool_id, Username=username, Password=password, Permanent=True
            )
        else:
            secret = _onboard(cognito, pool, username, password)
            cognito.admin_add_user_to_group(UserPoolId=pool.user_pool_id, Username=username, GroupName=group)
        attributes = cognito.admin_get_user(UserPoolId=pool.user_pool_id, Username=username)["UserAttributes"]
        user_id = next(a["Value"] for a in attributes if a["Name"] == "sub")
        users[group] = DemoUser(username=username, password=password, group=group, user_id=user_id)
    return users, secret


def sign_in(cognito: Any, client_id: str, username: str, password: str, totp_secret: str) -> dict[str, Any]:
    """Password, then the TOTP challenge: returns Cognito's AuthenticationResult."""
    auth = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    if auth.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
        raise RuntimeError(f"expected the SOFTWARE_TOKEN_MFA challenge, got {auth.get('ChallengeName')}")
    answer = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=auth["Session"],
        ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": totp_code(totp_secret)},
    )
    return dict(answer["AuthenticationResult"])
