"""The REST API: `GET /v1/health` public, everything else under `/v1/{proxy+}` behind Cognito.

A REST API (not an HTTP API) because it offers WAF, request validation and
per-stage throttling. The stage is the API version (`v1`), so resources are
declared without it (`/health`, `/{proxy+}`) and URLs read
`https://<api-host>/v1/health`. Authenticated routes go to the `api` function
through one proxy integration; routing is the handler's job (Powertools
resolver), so a new endpoint needs no infrastructure change. Public routes
(health, provider webhooks) go to the function `PUBLIC_API_ROUTES` names.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_apigateway, aws_cognito, aws_lambda, aws_logs, aws_wafv2
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.nag import acknowledge
from tradewind.resources import API_STAGE, PUBLIC_API_ROUTES, physical_name

PROXY_PATH = "{proxy+}"
# Requests per 5 minutes from one IP before WAF blocks it.
WAF_RATE_LIMIT = 2000


class RestApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        handler: aws_lambda.IFunction,
        public_handlers: Mapping[str, aws_lambda.IFunction],
        user_pool: aws_cognito.IUserPool,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = aws_logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{physical_name(config.stage, 'api')}/access",
            retention=config.log_retention,
            removal_policy=config.cdk_removal_policy,
        )
        self.api = aws_apigateway.RestApi(
            self,
            "Api",
            rest_api_name=physical_name(config.stage, "api"),
            description="Tradewind REST API",
            endpoint_types=[aws_apigateway.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=config.cdk_removal_policy,
            deploy_options=aws_apigateway.StageOptions(
                stage_name=API_STAGE,
                access_log_destination=aws_apigateway.LogGroupLogDestination(access_logs),
                access_log_format=aws_apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                tracing_enabled=True,
                logging_level=aws_apigateway.MethodLoggingLevel.INFO,
                metrics_enabled=True,
                throttling_rate_limit=config.api_throttle_rate,
                throttling_burst_limit=config.api_throttle_burst,
            ),
        )
        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level role API Gateway needs to write execution and access logs; AWS maintains it.",
        )
        validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        self.authorizer = aws_apigateway.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[user_pool], authorizer_name=physical_name(config.stage, "cognito")
        )
        integration = aws_apigateway.LambdaIntegration(handler, proxy=True)
        self.api.root.add_resource(PROXY_PATH).add_method(
            "ANY",
            integration,
            authorizer=self.authorizer,
            authorization_type=aws_apigateway.AuthorizationType.COGNITO,
            request_validator=validator,
            request_parameters={"method.request.path.proxy": True},
        )
        for (method, path), logical in sorted(PUBLIC_API_ROUTES.items()):
            public = self._resource(path).add_method(
                method,
                aws_apigateway.LambdaIntegration(public_handlers[logical], proxy=True),
                authorization_type=aws_apigateway.AuthorizationType.NONE,
            )
            reason = f"{method} {path} is public by design (tradewind.resources.PUBLIC_API_ROUTES)."
            acknowledge(public, "AwsSolutions-APIG4", reason)
            acknowledge(public, "AwsSolutions-COG4", reason)
        self._web_acl(config)

    def _resource(self, path: str) -> aws_apigateway.IResource:
        resource: aws_apigateway.IResource = self.api.root
        for part in path.strip("/").split("/"):
            # Not `or`: jsii proxies of existing resources can be falsy.
            child = resource.get_resource(part)
            resource = resource.add_resource(part) if child is None else child
        return resource

    def _web_acl(self, config: EnvironmentConfig) -> None:
        """AWS managed rules (common exploits, known bad IPs) and a per-IP rate limit."""
        managed = [("AWSManagedRulesCommonRuleSet", 1), ("AWSManagedRulesAmazonIpReputationList", 2)]
        rules = [
            aws_wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                statement=aws_wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=aws_wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                override_action=aws_wafv2.CfnWebACL.OverrideActionProperty(none={}),
                visibility_config=_visibility(name),
            )
            for name, priority in managed
        ]
        rules.append(
            aws_wafv2.CfnWebACL.RuleProperty(
                name="RatePerIp",
                priority=3,
                statement=aws_wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=aws_wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=WAF_RATE_LIMIT, aggregate_key_type="IP"
                    )
                ),
                action=aws_wafv2.CfnWebACL.RuleActionProperty(block={}),
                visibility_config=_visibility("RatePerIp"),
            )
        )
        web_acl = aws_wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=physical_name(config.stage, "api"),
            scope="REGIONAL",
            default_action=aws_wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            visibility_config=_visibility(physical_name(config.stage, "api")),
        )
        aws_wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=web_acl.attr_arn,
        )


def _visibility(metric: str) -> aws_wafv2.CfnWebACL.VisibilityConfigProperty:
    return aws_wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )
