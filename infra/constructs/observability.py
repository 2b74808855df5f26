"""Alarms on what needs a human: parked market data, failing functions, failed backtests, API errors.

Alarms publish to one encrypted SNS topic per stage; subscribe a mailbox with
`alarm_email` in cdk.json or attach a pager to the topic.
"""

from __future__ import annotations

from aws_cdk import (
    Duration,
    aws_apigateway,
    aws_cloudwatch,
    aws_cloudwatch_actions,
    aws_kms,
    aws_lambda,
    aws_sns,
    aws_sns_subscriptions,
    aws_sqs,
    aws_stepfunctions,
)
from constructs import Construct

from infra.config import EnvironmentConfig
from tradewind.resources import physical_name

PERIOD = Duration.minutes(5)
# A consumer this far behind the stream is trading on stale prices.
MAX_ITERATOR_AGE_MS = 60_000
MAX_API_5XX_PER_PERIOD = 5


class Observability(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, key: aws_kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self._stage = config.stage
        self.topic = aws_sns.Topic(
            self,
            "Alarms",
            topic_name=physical_name(config.stage, "alarms"),
            master_key=key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(aws_sns_subscriptions.EmailSubscription(config.alarm_email))
        self._action = aws_cloudwatch_actions.SnsAction(self.topic)

    def watch_dead_letters(self, queue: aws_sqs.IQueue) -> None:
        self._alarm(
            "market-data-dead-letters",
            queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            threshold=1,
            description="Market-data records were parked in the DLQ: inspect and redrive them.",
        )

    def watch_function(self, logical: str, function: aws_lambda.IFunction) -> None:
        self._alarm(
            f"{logical}-errors",
            function.metric_errors(period=PERIOD, statistic="Sum"),
            threshold=1,
            description=f"{logical} raised errors.",
        )

    def watch_stream_consumer(self, logical: str, function: aws_lambda.IFunction) -> None:
        self._alarm(
            f"{logical}-iterator-age",
            function.metric("IteratorAge", period=PERIOD, statistic="Maximum"),
            threshold=MAX_ITERATOR_AGE_MS,
            description=f"{logical} is more than a minute behind the stream.",
        )

    def watch_state_machine(self, logical: str, state_machine: aws_stepfunctions.StateMachine) -> None:
        self._alarm(
            f"{logical}-failed",
            state_machine.metric_failed(period=PERIOD, statistic="Sum"),
            threshold=1,
            description=f"{logical} executions failed.",
        )
        self._alarm(
            f"{logical}-timed-out",
            state_machine.metric_timed_out(period=PERIOD, statistic="Sum"),
            threshold=1,
            description=f"{logical} executions timed out.",
        )

    def watch_rest_api(self, api: aws_apigateway.RestApi) -> None:
        self._alarm(
            "api-5xx",
            api.metric_server_error(period=PERIOD, statistic="Sum"),
            threshold=MAX_API_5XX_PER_PERIOD,
            description="The REST API is answering with server errors.",
        )

    def _alarm(self, name: str, metric: aws_cloudwatch.IMetric, *, threshold: float, description: str) -> None:
        alarm = aws_cloudwatch.Alarm(
            self,
            name,
            alarm_name=physical_name(self._stage, name),
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
