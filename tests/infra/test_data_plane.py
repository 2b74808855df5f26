"""The market-data stream and its consumer mapping, the tables and the buckets."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.constructs import market_data
from tests.infra.helpers import arn_of, by_property, only, ref, resources_of
from tradewind.resources import BUCKETS, FUNCTIONS, MARKET_DATA_DLQ, MARKET_DATA_STREAM, TABLES, Key

STAGE = "dev"
ACCOUNT = "111111111111"


def _key_id(template: dict[str, Any]) -> str:
    return only(template, "AWS::KMS::Key")[0]


def _denies_plain_http(policy: dict[str, Any], action: str) -> bool:
    return any(
        s["Effect"] == "Deny" and s["Action"] == action and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Statement"]
    )


def test_market_data_stream_is_kms_encrypted_with_the_data_key(dev_json: dict[str, Any]) -> None:
    _, stream = only(dev_json, "AWS::Kinesis::Stream")
    assert stream["Properties"]["Name"] == MARKET_DATA_STREAM.physical(STAGE)
    assert stream["Properties"]["ShardCount"] == MARKET_DATA_STREAM.shards
    assert stream["Properties"]["RetentionPeriodHours"] == MARKET_DATA_STREAM.retention_hours
    assert stream["Properties"]["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": arn_of(_key_id(dev_json))}


def test_consumer_mapping_bisects_reports_partial_failures_and_parks_in_the_dlq(dev_json: dict[str, Any]) -> None:
    stream_id, _ = only(dev_json, "AWS::Kinesis::Stream")
    dlq_id, _ = by_property(dev_json, "AWS::SQS::Queue", "QueueName", MARKET_DATA_DLQ.physical(STAGE))
    consumer_id, _ = by_property(
        dev_json, "AWS::Lambda::Function", "FunctionName", FUNCTIONS["market-data-consumer"].physical(STAGE)
    )
    _, mapping = only(dev_json, "AWS::Lambda::EventSourceMapping")
    assert mapping["Properties"] == {
        "EventSourceArn": arn_of(stream_id),
        "FunctionName": ref(consumer_id),
        "StartingPosition": "TRIM_HORIZON",
        "BatchSize": market_data.BATCH_SIZE,
        "MaximumBatchingWindowInSeconds": 1,
        "BisectBatchOnFunctionError": True,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "MaximumRetryAttempts": 3,
        "MaximumRecordAgeInSeconds": 3600,
        "ParallelizationFactor": 1,
        "DestinationConfig": {"OnFailure": {"Destination": arn_of(dlq_id)}},
        "Tags": mapping["Properties"]["Tags"],
    }


def test_dead_letter_queue_is_encrypted_and_tls_only(dev_json: dict[str, Any]) -> None:
    dlq_id, dlq = by_property(dev_json, "AWS::SQS::Queue", "QueueName", MARKET_DATA_DLQ.physical(STAGE))
    assert dlq["Properties"]["KmsMasterKeyId"] == arn_of(_key_id(dev_json))
    policies = [
        p["Properties"]["PolicyDocument"]
        for p in resources_of(dev_json, "AWS::SQS::QueuePolicy").values()
        if ref(dlq_id) in p["Properties"]["Queues"]
    ]
    assert any(_denies_plain_http(policy, "sqs:*") for policy in policies)


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


@pytest.mark.parametrize("logical", sorted(TABLES))
def test_every_table_matches_its_spec(dev_json: dict[str, Any], logical: str) -> None:
    spec = TABLES[logical]
    _, table = by_property(dev_json, "AWS::DynamoDB::GlobalTable", "TableName", spec.physical(STAGE))
    props = table["Properties"]
    assert props["KeySchema"] == _key_schema(spec.partition, spec.sort)
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    (replica,) = props["Replicas"]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert replica["SSESpecification"] == {"KMSMasterKeyId": arn_of(_key_id(dev_json))}
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {index.name for index in spec.indexes}
    for index in spec.indexes:
        assert indexes[index.name]["KeySchema"] == _key_schema(index.partition, index.sort)
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}
    declared = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    keys = [spec.partition, spec.sort, *(k for i in spec.indexes for k in (i.partition, i.sort))]
    assert declared == {k.name: k.type for k in keys if k}


@pytest.mark.parametrize("logical", sorted(BUCKETS))
def test_every_bucket_is_private_encrypted_logged_and_tls_only(dev_json: dict[str, Any], logical: str) -> None:
    spec = BUCKETS[logical]
    bucket_id, bucket = by_property(dev_json, "AWS::S3::Bucket", "BucketName", spec.physical(STAGE, ACCOUNT))
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"aws:kms", "AES256"}
    assert ("VersioningConfiguration" in props) == spec.versioned
    logs_id, _ = by_property(dev_json, "AWS::S3::Bucket", "BucketName", f"tradewind-{STAGE}-access-logs-{ACCOUNT}")
    assert props["LoggingConfiguration"]["DestinationBucketName"] == ref(logs_id)
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources_of(dev_json, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == ref(bucket_id)
    ]
    assert _denies_plain_http(policy, "s3:*")


def test_data_buckets_use_the_data_key(dev_template: Template, dev_json: dict[str, Any]) -> None:
    for logical in ("market-lake", "reports"):
        dev_template.has_resource_properties(
            "AWS::S3::Bucket",
            {
                "BucketName": BUCKETS[logical].physical(STAGE, ACCOUNT),
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        Match.object_like(
                            {
                                "ServerSideEncryptionByDefault": {
                                    "SSEAlgorithm": "aws:kms",
                                    "KMSMasterKeyID": arn_of(_key_id(dev_json)),
                                }
                            }
                        )
                    ]
                },
            },
        )
