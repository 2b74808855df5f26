"""DynamoDB tables, one per `tradewind.resources.TABLES` spec."""

from __future__ import annotations

from aws_cdk import aws_dynamodb, aws_kms, aws_lambda
from constructs import Construct

from infra.config import Access, EnvironmentConfig
from infra.nag import acknowledge, arn_token
from tradewind.resources import TABLES, Key, TableSpec

_ATTRIBUTE_TYPES = {
    "S": aws_dynamodb.AttributeType.STRING,
    "N": aws_dynamodb.AttributeType.NUMBER,
    "B": aws_dynamodb.AttributeType.BINARY,
}


def _attribute(key: Key) -> aws_dynamodb.Attribute:
    return aws_dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class Tables(Construct):
    """On-demand, point-in-time-recoverable, KMS-encrypted tables keyed exactly as the specs say."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, key: aws_kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.by_logical: dict[str, aws_dynamodb.TableV2] = {
            spec.logical: self._table(spec, config, key) for spec in TABLES.values()
        }

    def __getitem__(self, logical: str) -> aws_dynamodb.TableV2:
        return self.by_logical[logical]

    def grant(self, logical: str, grantee: aws_lambda.Function, access: Access) -> None:
        table = self.by_logical[logical]
        getattr(table, f"grant_{access}_data")(grantee)
        if TABLES[logical].indexes:
            acknowledge(
                grantee,
                f"AwsSolutions-IAM5[Resource::{arn_token(table)}/index/*]",
                f"Queries by the {logical} table's own secondary indexes; no other table.",
            )

    def _table(self, spec: TableSpec, config: EnvironmentConfig, key: aws_kms.IKey) -> aws_dynamodb.TableV2:
        return aws_dynamodb.TableV2(
            self,
            spec.logical,
            table_name=spec.physical(config.stage),
            partition_key=_attribute(spec.partition),
            sort_key=_attribute(spec.sort) if spec.sort else None,
            billing=aws_dynamodb.Billing.on_demand(),
            encryption=aws_dynamodb.TableEncryptionV2.customer_managed_key(key),
            point_in_time_recovery_specification=aws_dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=spec.ttl_attribute,
            dynamo_stream=aws_dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
            global_secondary_indexes=[
                aws_dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_attribute(index.partition),
                    sort_key=_attribute(index.sort) if index.sort else None,
                )
                for index in spec.indexes
            ],
            deletion_protection=config.retain_data,
            removal_policy=config.cdk_removal_policy,
        )
