"""The backtest workflow (Step Functions, STANDARD).

First cut: one `backtest-task` invocation. The workflow grows into validate →
load → Distributed Map → aggregate → report: each step is built by `_task`
(same retry and catch policy everywhere) and chained in `_definition`, so a
new step is one call and one link.

The definition must contain only Fn::Join, Fn::GetAtt [fn, Arn], Ref
AWS::Partition and Ref <resource>: the local cloud resolves exactly those.
"""

from __future__ import annotations

from aws_cdk import Duration, aws_lambda, aws_logs, aws_stepfunctions, aws_stepfunctions_tasks
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.nag import acknowledge, arn_token
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


class BacktestWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        task_function: aws_lambda.IFunction,
        task_timeout: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        self._task_function = task_function
        self._task_timeout = task_timeout
        self.failed = aws_stepfunctions.Fail(
            self,
            "Failed",
            error_path=f"{ERROR_PATH}.Error",
            cause_path=f"{ERROR_PATH}.Cause",
        )
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
        acknowledge(
            self,
            f"AwsSolutions-IAM5[Resource::{arn_token(task_function)}:*]",
            "Invoking the task function's versions and aliases; the function itself is named.",
        )

    def _definition(self) -> aws_stepfunctions.IChainable:
        run = self._task("RunBacktest", comment="Run the backtest described by the execution input")
        return run.next(aws_stepfunctions.Succeed(self, "Succeeded"))

    def _task(self, state_id: str, *, comment: str) -> aws_stepfunctions_tasks.LambdaInvoke:
        """A `backtest-task` step: input passed whole, result under $.result, failures to `Failed`."""
        task = aws_stepfunctions_tasks.LambdaInvoke(
            self,
            state_id,
            comment=comment,
            lambda_function=self._task_function,
            payload_response_only=True,
            retry_on_service_exceptions=False,
            result_path="$.result",
            task_timeout=aws_stepfunctions.Timeout.duration(self._task_timeout),
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
        task.add_catch(self.failed, errors=[aws_stepfunctions.Errors.ALL], result_path=ERROR_PATH)
        return task
