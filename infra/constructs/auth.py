"""The Cognito user pool: who may sign in, with which second factor, in which group.

MFA is required and TOTP-only: SMS codes can be intercepted by SIM swapping,
which matters on a platform that moves money. Investors sign themselves up;
administrators are added to the `admin` group by another administrator. A
post-confirmation trigger that puts new users in the `investor` group is not
wired yet (see docs/deploy.md): until then an operator assigns the group.
"""

from __future__ import annotations

from aws_cdk import Duration, aws_cognito, aws_iam
from constructs import Construct

from infra.config import EnvironmentConfig
from tradewind.resources import USER_GROUPS, physical_name

# Read-only calls of the user directory adapter (tradewind.adapters.cognito_directory).
DIRECTORY_READ_ACTIONS = ("cognito-idp:ListUsers", "cognito-idp:ListUsersInGroup", "cognito-idp:AdminGetUser")


class Auth(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = aws_cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=physical_name(config.stage, "users"),
            self_sign_up_enabled=True,
            sign_in_aliases=aws_cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=aws_cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=aws_cognito.StandardAttributes(
                email=aws_cognito.StandardAttribute(required=True, mutable=True)
            ),
            mfa=aws_cognito.Mfa.REQUIRED,
            mfa_second_factor=aws_cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=aws_cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=aws_cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=aws_cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=aws_cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=config.retain_data,
            removal_policy=config.cdk_removal_policy,
        )
        for rank, group in enumerate(USER_GROUPS):
            # Lower precedence wins when a user is in several groups: admin before investor.
            self.user_pool.add_group(group, group_name=group, description=f"Tradewind {group}s", precedence=rank)
        self.spa_client = self.user_pool.add_client(
            "SpaClient",
            user_pool_client_name=physical_name(config.stage, "spa"),
            generate_secret=False,
            auth_flows=aws_cognito.AuthFlow(user_password=True, user_srp=True),
            # The SPAs sign in through the Cognito API (SRP, then TOTP), not the hosted UI.
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )

    def grant_directory_read(self, grantee: aws_iam.IGrantable) -> None:
        self.user_pool.grant(grantee, *DIRECTORY_READ_ACTIONS)
