"""The backtest workflow (Step Functions, STANDARD).

validate (backtest-task) → load (worker: bars snapshot + parameter chunks to the
reports bucket, returns the chunk items) → Distributed Map, one worker
invocation per chunk (each writes its rows to S3; moto's ResultWriter writes
only a manifest, so results are not collected by the Map) → aggregate (worker:
rank, deflated Sharpe, report JSON + HTML to S3, run recorded succeeded).
Every step catches any error into `MarkFailed` (backtest-task records the run
as failed with the error), then `Failed`. Payloads carry a run id and chunk
numbers only: state is capped at 256 KiB.

The definition must contain only Fn::Join, Fn::GetAtt [fn, Arn], Ref
AWS::Partition and Ref <resource>: the local cloud resolves exactly those.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack, aws_lambda, aws_logs, aws_stepfunctions, aws_stepfunctions_tasks
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.nag import acknowledge, arn_token, logical_id
from tradewind.resources import BACKTEST_STATE_MACHINE

LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
RETRY_INTERVAL = Duration.seconds(1)
RETRY_BACKOFF = 2.0
SERVICE_RETRY_ATTEMPTS = 3
TIMEOUT_RETRY_ATTEMPTS = 2
ERROR_PATH = "$.error"
# Chunks in flight at once: bounds the worker's concurrency (and Lambda cost) per run.
MAX_CONCURRENCY = 20


class BacktestWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        task_function: aws_lambda.IFunction,
        task_timeout: Duration,
        worker_function: aws_lambda.IFunction,
        worker_timeout: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        self._task_function = task_function
        self._task_timeout = task_timeout
        self._worker_function = worker_function
        self._worker_timeout = worker_timeout
        self.failed = aws_stepfunctions.Fail(
            self,
            "Failed",
            error_path=f"{ERROR_PATH}.Error",
            cause_path=f"{ERROR_PATH}.Cause",
        )
        self.mark_failed = self._invoke(
            "MarkFailed",
            task_function,
            task_timeout,
            {"step": "fail", "input.$": "$", "error.$": ERROR_PATH},
            comment="Record the run as failed with the caught error",
            result_path=aws_stepfunctions.JsonPath.DISCARD,
        )
        self.mark_failed.add_catch(self.failed, errors=[aws_stepfunctions.Errors.ALL], result_path="$.markError")
        self.mark_failed.next(self.failed)
        self.state_machine = aws_stepfunctions.StateMachine(
            self,
            "StateMachine",
            state_machine_name=BACKTEST_STATE_MACHINE.physical(config.stage),
            state_machine_type=aws_stepfunctions.StateMachineType.STANDARD,
            definition_body=aws_stepfunctions.DefinitionBody.from_chainable(self._definition()),
            tracing_enabled=True,
            logs=aws_stepfunctions.LogOptions(
                destination=aws_logs.LogGroup(
                    self,
                    "Logs",
                    log_group_name=f"/aws/vendedlogs/states/{BACKTEST_STATE_MACHINE.physical(config.stage)}",
                    retention=config.log_retention,
                    removal_policy=config.cdk_removal_policy,
                ),
                level=aws_stepfunctions.LogLevel.ALL,
                include_execution_data=True,
            ),
            removal_policy=config.cdk_removal_policy,
        )
        acknowledge(
            self,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray and CloudWatch Logs delivery actions of Step Functions support no resource-level permissions.",
        )
        # The Distributed Map starts and manages child executions of this machine's own map runs.
        machine = f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{logical_id(self.state_machine)}"}}]}}]}}'
        executions = f"arn:{Stack.of(self).partition}:states:{config.region}:{config.account}:execution:{machine}"
        for pattern in (f"{executions}:*", f"{executions}/*:*"):
            acknowledge(
                self,
                f"AwsSolutions-IAM5[Resource::{pattern}]",
                "The Distributed Map's child executions and map runs of this state machine only; "
                "their names are generated per run.",
            )
        for function in (task_function, worker_function):
            acknowledge(
                self,
                f"AwsSolutions-IAM5[Resource::{arn_token(function)}:*]",
                "Invoking the function's versions and aliases; the function itself is named.",
            )

    def _definition(self) -> aws_stepfunctions.IChainable:
        validate = self._step(
            "Validate",
            self._task_function,
            self._task_timeout,
            {"step": "validate", "request.$": "$"},
            comment="Accept and record the run request, check its strategy",
            result_path="$.validated",
        )
        load = self._step(
            "Load",
            self._worker_function,
            self._worker_timeout,
            {"step": "load", "run_id.$": "$.run_id"},
            comment="Snapshot the bars from the lake and write the parameter chunks to the reports bucket",
            result_path="$.load",
        )
        chunks = aws_stepfunctions.DistributedMap(
            self,
            "RunChunks",
            comment="One worker invocation per parameter chunk; each writes its rows to S3",
            items_path="$.load.chunks",
            max_concurrency=MAX_CONCURRENCY,
            result_path=aws_stepfunctions.JsonPath.DISCARD,
        )
        chunks.item_processor(
            self._invoke(
                "RunChunk",
                self._worker_function,
                self._worker_timeout,
                {"step": "chunk", "run_id.$": "$.run_id", "chunk.$": "$.chunk"},
                comment="Score one chunk of parameter sets",
                result_path="$.rows",
            )
        )
        chunks.add_catch(self.mark_failed, errors=[aws_stepfunctions.Errors.ALL], result_path=ERROR_PATH)
        aggregate = self._step(
            "Aggregate",
            self._worker_function,
            self._worker_timeout,
            {"step": "aggregate", "run_id.$": "$.run_id"},
            comment="Rank, deflated Sharpe, report to S3, record the run succeeded",
            result_path="$.result",
        )
        return validate.next(load).next(chunks).next(aggregate).next(aws_stepfunctions.Succeed(self, "Succeeded"))

    def _step(
        self,
        state_id: str,
        function: aws_lambda.IFunction,
        timeout: Duration,
        payload: dict[str, Any],
        *,
        comment: str,
        result_path: str,
    ) -> aws_stepfunctions_tasks.LambdaInvoke:
        """A top-level step: retried like every invocation, any failure marks the run failed."""
        task = self._invoke(state_id, function, timeout, payload, comment=comment, result_path=result_path)
        task.add_catch(self.mark_failed, errors=[aws_stepfunctions.Errors.ALL], result_path=ERROR_PATH)
        return task

    def _invoke(
        self,
        state_id: str,
        function: aws_lambda.IFunction,
        timeout: Duration,
        payload: dict[str, Any],
        *,
        comment: str,
        result_path: str,
    ) -> aws_stepfunctions_tasks.LambdaInvoke:
        """A Lambda invocation with the same retry policy everywhere (service errors, timeouts)."""
        task = aws_stepfunctions_tasks.LambdaInvoke(
            self,
            state_id,
            comment=comment,
            lambda_function=function,
            payload=aws_stepfunctions.TaskInput.from_object(payload),
            payload_response_only=True,
            retry_on_service_exceptions=False,
            result_path=result_path,
            task_timeout=aws_stepfunctions.Timeout.duration(timeout),
        )
        task.add_retry(
            errors=LAMBDA_SERVICE_ERRORS,
            interval=RETRY_INTERVAL,
            max_attempts=SERVICE_RETRY_ATTEMPTS,
            backoff_rate=RETRY_BACKOFF,
        )
        task.add_retry(
            errors=[aws_stepfunctions.Errors.TIMEOUT],
            interval=RETRY_INTERVAL,
            max_attempts=TIMEOUT_RETRY_ATTEMPTS,
            backoff_rate=RETRY_BACKOFF,
        )
        return task
