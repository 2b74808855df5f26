"""The customer-managed KMS key that encrypts the platform's data at rest."""

from __future__ import annotations

from aws_cdk import Duration, aws_iam, aws_kms
from constructs import Construct

from infra.config import EnvironmentConfig
from tradewind.resources import physical_name


class DataKey(Construct):
    """One key per stage for tables, stream, queues, buckets and topics.

    One key rather than one per service keeps the key policy reviewable in one
    place; the grants on each resource still limit who can use it where.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = aws_kms.Key(
            self,
            "Key",
            alias=f"alias/{physical_name(config.stage, 'data')}",
            description=f"Tradewind {config.stage}: data at rest",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if config.retain_data else 7),
            removal_policy=config.cdk_removal_policy,
        )

    def allow_service(self, service_principal: str) -> None:
        """Let an AWS service (e.g. CloudWatch alarms publishing to an encrypted topic) use the key."""
        self.key.add_to_resource_policy(
            aws_iam.PolicyStatement(
                principals=[aws_iam.ServicePrincipal(service_principal)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
