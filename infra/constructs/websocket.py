"""The WebSocket API for live chart updates (bars, indicators, signals, orders, fills).

WebSocket APIs authorise only on `$connect`, through the `ws-authorizer`
Lambda (REQUEST authorizer) that verifies the Cognito ID token the client
passes as the `token` query-string parameter: browsers cannot set headers on
a WebSocket handshake. Functions that push to clients get the management
endpoint in TRADEWIND_WEBSOCKET_ENDPOINT and `execute-api:ManageConnections`.
"""

from __future__ import annotations

import jsii
from aws_cdk import (
    Stack,
    aws_apigateway,
    aws_apigatewayv2,
    aws_apigatewayv2_authorizers,
    aws_apigatewayv2_integrations,
    aws_lambda,
    aws_logs,
)
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.nag import acknowledge, logical_id
from tradewind.resources import API_STAGE, WEBSOCKET_TOKEN_PARAM, physical_name

ENDPOINT_VARIABLE = "TRADEWIND_WEBSOCKET_ENDPOINT"


@jsii.implements(aws_apigatewayv2.IAccessLogSettings)
class _AccessLogs:
    def __init__(self, log_group: aws_logs.ILogGroup) -> None:
        self._destination = aws_apigatewayv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> aws_apigatewayv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> aws_apigateway.AccessLogFormat:
        return aws_apigateway.AccessLogFormat.json_with_standard_fields(
            caller=False,
            http_method=True,
            ip=True,
            protocol=True,
            request_time=True,
            resource_path=True,
            response_length=True,
            status=True,
            user=False,
        )


class WebSocketApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        authorizer: aws_lambda.IFunction,
        on_connect: aws_lambda.IFunction,
        on_disconnect: aws_lambda.IFunction,
        on_message: aws_lambda.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        integrations = aws_apigatewayv2_integrations
        self.api = aws_apigatewayv2.WebSocketApi(
            self,
            "Api",
            api_name=physical_name(config.stage, "ws"),
            description="Tradewind live updates",
            connect_route_options=aws_apigatewayv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("OnConnect", on_connect),
                authorizer=aws_apigatewayv2_authorizers.WebSocketLambdaAuthorizer(
                    "Authorizer",
                    authorizer,
                    authorizer_name=physical_name(config.stage, "ws-token"),
                    identity_source=[f"route.request.querystring.{WEBSOCKET_TOKEN_PARAM}"],
                ),
            ),
            disconnect_route_options=aws_apigatewayv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("OnDisconnect", on_disconnect)
            ),
            default_route_options=aws_apigatewayv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("OnMessage", on_message)
            ),
        )
        for route in ("$disconnect", "$default"):
            acknowledge(
                self.api.node.find_child(f"{route}-Route"),
                "AwsSolutions-APIG4",
                f"WebSocket APIs authorise once, on $connect; {route} runs on that authorised connection.",
            )
        access_logs = aws_logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{physical_name(config.stage, 'ws')}/access",
            retention=config.log_retention,
            removal_policy=config.cdk_removal_policy,
        )
        self.stage = aws_apigatewayv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=API_STAGE,
            auto_deploy=True,
            access_log_settings=_AccessLogs(access_logs),
            throttle=aws_apigatewayv2.ThrottleSettings(
                rate_limit=config.api_throttle_rate, burst_limit=config.api_throttle_burst
            ),
        )

    @property
    def management_endpoint(self) -> str:
        return self.stage.callback_url

    def allow_push(self, *functions: aws_lambda.Function) -> None:
        """Let `functions` post to connected clients, and tell them where."""
        stack = Stack.of(self)
        connections = (
            f"arn:{stack.partition}:execute-api:{stack.region}:{stack.account}:"
            f"<{logical_id(self.api)}>/{API_STAGE}/*/@connections/*"
        )
        for function in functions:
            self.stage.grant_management_api_access(function)
            function.add_environment(ENDPOINT_VARIABLE, self.management_endpoint)
            acknowledge(
                function,
                f"AwsSolutions-IAM5[Resource::{connections}]",
                "Posting to any connection of this API's stage: connection ids exist only at run time.",
            )
