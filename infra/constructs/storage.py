"""S3 buckets from `tradewind.resources.BUCKETS`, plus the access-log bucket they log to.

Every bucket blocks public access, refuses plain HTTP and is encrypted. The
data buckets use the stage's KMS key; the web bucket uses S3-managed keys,
because CloudFront's origin access control would otherwise need the key policy
to name the distribution, which names the bucket, which names the key: a cycle.
"""

from __future__ import annotations

from aws_cdk import Duration, aws_kms, aws_lambda, aws_s3
from constructs import Construct, IConstruct

from infra.config import Access, EnvironmentConfig
from infra.nag import acknowledge, arn_token
from tradewind.resources import BUCKETS, BucketSpec, physical_name

WEB_BUCKET = "web"
NONCURRENT_VERSION_EXPIRY = Duration.days(90)
ACCESS_LOG_EXPIRY = Duration.days(365)
# The wildcard action groups CDK's bucket grants use, by access.
_READ = ("s3:GetBucket*", "s3:GetObject*", "s3:List*")
_WRITE = ("s3:Abort*", "s3:DeleteObject*")
_GRANT_ACTION_GROUPS: dict[Access, tuple[str, ...]] = {"read": _READ, "write": _WRITE, "read_write": _READ + _WRITE}


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, key: aws_kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = aws_s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=f"{physical_name(config.stage, 'access-logs')}-{config.account}",
            encryption=aws_s3.BucketEncryption.S3_MANAGED,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # CloudFront standard logging writes through ACLs.
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[aws_s3.LifecycleRule(expiration=ACCESS_LOG_EXPIRY)],
            removal_policy=config.cdk_removal_policy,
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This is the access-log bucket itself; logging it into itself would loop.",
        )
        self.by_logical: dict[str, aws_s3.Bucket] = {
            spec.logical: self._bucket(spec, config, None if spec.logical == WEB_BUCKET else key)
            for spec in BUCKETS.values()
        }

    def __getitem__(self, logical: str) -> aws_s3.Bucket:
        return self.by_logical[logical]

    def grant(self, logical: str, grantee: aws_lambda.Function, access: Access) -> None:
        bucket = self.by_logical[logical]
        getattr(bucket, f"grant_{access}")(grantee)
        acknowledge_object_grant(grantee, arn_token(bucket), access, f"the {logical} bucket")

    def _bucket(self, spec: BucketSpec, config: EnvironmentConfig, key: aws_kms.IKey | None) -> aws_s3.Bucket:
        return aws_s3.Bucket(
            self,
            spec.logical,
            bucket_name=spec.physical(config.stage, config.account),
            versioned=spec.versioned,
            encryption=aws_s3.BucketEncryption.KMS if key else aws_s3.BucketEncryption.S3_MANAGED,
            encryption_key=key,
            bucket_key_enabled=key is not None,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"s3/{spec.logical}/",
            lifecycle_rules=(
                [aws_s3.LifecycleRule(noncurrent_version_expiration=NONCURRENT_VERSION_EXPIRY)]
                if spec.versioned
                else None
            ),
            removal_policy=config.cdk_removal_policy,
        )


def acknowledge_object_grant(grantee: IConstruct, bucket_arn: str, access: Access, bucket: str) -> None:
    """Acknowledge the wildcards of a CDK bucket grant: all objects of one bucket, CDK's action groups."""
    reason = f"Objects of {bucket} only; CDK's bucket grants use action groups such as s3:GetObject*."
    acknowledge(grantee, f"AwsSolutions-IAM5[Resource::{bucket_arn}/*]", reason)
    for action in _GRANT_ACTION_GROUPS[access]:
        acknowledge(grantee, f"AwsSolutions-IAM5[Action::{action}]", reason)
