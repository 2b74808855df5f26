"""The market-data stream, its consumer's event-source mapping and the DLQ.

The mapping settings here are the contract the local cloud's Kinesis poller
reproduces (it reads them from the synthesized template): one batch at a time
per shard so bars stay in order per symbol, partial batch failures, bisection
of a failing batch, and records that still fail parked in the DLQ.
"""

from __future__ import annotations

from aws_cdk import Duration, aws_kinesis, aws_kms, aws_lambda, aws_lambda_event_sources, aws_sqs
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.nag import acknowledge
from tradewind.resources import MARKET_DATA_DLQ, MARKET_DATA_STREAM

BATCH_SIZE = 100
MAX_BATCHING_WINDOW = Duration.seconds(1)
RETRY_ATTEMPTS = 3
# A tick older than this is worthless to a live strategy: park it rather than trade on it.
MAX_RECORD_AGE = Duration.hours(1)
DLQ_RETENTION = Duration.days(14)


class MarketData(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, key: aws_kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.stream = aws_kinesis.Stream(
            self,
            "Stream",
            stream_name=MARKET_DATA_STREAM.physical(config.stage),
            shard_count=MARKET_DATA_STREAM.shards,
            stream_mode=aws_kinesis.StreamMode.PROVISIONED,
            retention_period=Duration.hours(MARKET_DATA_STREAM.retention_hours),
            encryption=aws_kinesis.StreamEncryption.KMS,
            encryption_key=key,
            removal_policy=config.cdk_removal_policy,
        )
        acknowledge(
            self.stream,
            "AwsSolutions-KDS3",
            "Market data is licensed: a customer-managed key lets us revoke access and audit every decrypt.",
        )
        self.dead_letters = aws_sqs.Queue(
            self,
            "DeadLetters",
            queue_name=MARKET_DATA_DLQ.physical(config.stage),
            encryption=aws_sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
            removal_policy=config.cdk_removal_policy,
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter destination of the Kinesis event-source mapping.",
        )

    def connect_consumer(self, consumer: aws_lambda.IFunction) -> aws_lambda_event_sources.KinesisEventSource:
        source = aws_lambda_event_sources.KinesisEventSource(
            self.stream,
            starting_position=aws_lambda.StartingPosition.TRIM_HORIZON,
            batch_size=BATCH_SIZE,
            max_batching_window=MAX_BATCHING_WINDOW,
            bisect_batch_on_error=True,
            report_batch_item_failures=True,
            retry_attempts=RETRY_ATTEMPTS,
            max_record_age=MAX_RECORD_AGE,
            parallelization_factor=1,
            on_failure=aws_lambda_event_sources.SqsDlq(self.dead_letters),
        )
        consumer.add_event_source(source)
        return source
