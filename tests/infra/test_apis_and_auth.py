"""Cognito, the REST API and the WebSocket API."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

from tests.infra.helpers import by_property, mentions, only, policy_statements_of, ref, resources_of
from tradewind.resources import API_STAGE, FUNCTIONS, PUBLIC_API_ROUTES, USER_GROUPS, WEBSOCKET_TOKEN_PARAM

STAGE = "dev"


def _function_id(template: dict[str, Any], logical: str) -> str:
    return by_property(template, "AWS::Lambda::Function", "FunctionName", FUNCTIONS[logical].physical(STAGE))[0]


def test_user_pool_requires_totp_mfa_and_never_sms(dev_json: dict[str, Any]) -> None:
    _, pool = only(dev_json, "AWS::Cognito::UserPool")
    props = pool["Properties"]
    assert props["MfaConfiguration"] == "ON"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert "SmsConfiguration" not in props
    assert props["UserPoolTier"] == "PLUS"
    assert props["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert props["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": False}


def test_user_pool_password_policy_is_strong(dev_template: Template) -> None:
    dev_template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "Policies": {
                "PasswordPolicy": Match.object_like(
                    {
                        "MinimumLength": Match.any_value(),
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": True,
                    }
                )
            }
        },
    )
    _, pool = only(dev_template.to_json(), "AWS::Cognito::UserPool")
    assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12


def test_user_groups_are_the_resource_groups(dev_json: dict[str, Any]) -> None:
    groups = resources_of(dev_json, "AWS::Cognito::UserPoolGroup").values()
    assert sorted(g["Properties"]["GroupName"] for g in groups) == sorted(USER_GROUPS)


def test_spa_client_has_no_secret_and_password_plus_srp_flows(dev_json: dict[str, Any]) -> None:
    _, client = only(dev_json, "AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    assert props["GenerateSecret"] is False
    assert set(props["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert props["AllowedOAuthFlowsUserPoolClient"] is False


def _rest_resource_paths(template: dict[str, Any]) -> dict[str, str]:
    """Logical id of each REST API resource -> its path."""
    resources = resources_of(template, "AWS::ApiGateway::Resource")

    def path(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{props['PathPart']}"

    return {logical_id: path(logical_id) for logical_id in resources}


def _methods_by_route(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    paths = _rest_resource_paths(template)
    return {
        (m["Properties"]["HttpMethod"], paths[m["Properties"]["ResourceId"]["Ref"]]): m["Properties"]
        for m in resources_of(template, "AWS::ApiGateway::Method").values()
    }


def test_rest_api_routes_everything_but_public_routes_through_cognito(dev_json: dict[str, Any]) -> None:
    authorizer_id, authorizer = only(dev_json, "AWS::ApiGateway::Authorizer")
    pool_id, _ = only(dev_json, "AWS::Cognito::UserPool")
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert mentions(authorizer["Properties"]["ProviderARNs"], pool_id)
    methods = _methods_by_route(dev_json)
    assert set(methods) == {("ANY", "/{proxy+}"), *PUBLIC_API_ROUTES}
    proxy = methods[("ANY", "/{proxy+}")]
    assert proxy["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert proxy["AuthorizerId"] == ref(authorizer_id)
    assert "RequestValidatorId" in proxy
    for route, logical in PUBLIC_API_ROUTES.items():
        assert methods[route]["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in methods[route]
        assert mentions(methods[route]["Integration"]["Uri"], _function_id(dev_json, logical))
    assert mentions(proxy["Integration"]["Uri"], _function_id(dev_json, "api"))
    for method in methods.values():
        assert method["Integration"]["Type"] == "AWS_PROXY"


def test_rest_api_stage_is_logged_traced_and_throttled(dev_json: dict[str, Any]) -> None:
    _, stage = only(dev_json, "AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["StageName"] == API_STAGE
    assert props["TracingEnabled"] is True
    assert "DestinationArn" in props["AccessLogSetting"]
    (settings,) = props["MethodSettings"]
    assert settings["LoggingLevel"] == "INFO"
    assert settings["ThrottlingRateLimit"] > 0
    assert settings["ThrottlingBurstLimit"] > 0
    _, validator = only(dev_json, "AWS::ApiGateway::RequestValidator")
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True


def test_rest_api_stage_is_behind_waf(dev_json: dict[str, Any]) -> None:
    acl_id, acl = only(dev_json, "AWS::WAFv2::WebACL")
    assert acl["Properties"]["Scope"] == "REGIONAL"
    _, association = only(dev_json, "AWS::WAFv2::WebACLAssociation")
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_websocket_routes_and_token_authorizer(dev_json: dict[str, Any]) -> None:
    _, authorizer = only(dev_json, "AWS::ApiGatewayV2::Authorizer")
    assert authorizer["Properties"]["AuthorizerType"] == "REQUEST"
    assert authorizer["Properties"]["IdentitySource"] == [f"route.request.querystring.{WEBSOCKET_TOKEN_PARAM}"]
    assert mentions(authorizer["Properties"]["AuthorizerUri"], _function_id(dev_json, "ws-authorizer"))
    integrations = resources_of(dev_json, "AWS::ApiGatewayV2::Integration")
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources_of(dev_json, "AWS::ApiGatewayV2::Route").values()
    }
    expected = {"$connect": "ws-connect", "$disconnect": "ws-disconnect", "$default": "ws-default"}
    assert set(routes) == set(expected)
    for route_key, logical in expected.items():
        target = routes[route_key]["Target"]["Fn::Join"][1][1]["Ref"]
        assert mentions(integrations[target]["Properties"]["IntegrationUri"], _function_id(dev_json, logical))
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert routes["$disconnect"]["AuthorizationType"] == "NONE"


def test_websocket_stage_is_logged_and_throttled(dev_json: dict[str, Any]) -> None:
    _, stage = only(dev_json, "AWS::ApiGatewayV2::Stage")
    assert stage["Properties"]["StageName"] == API_STAGE
    assert "DestinationArn" in stage["Properties"]["AccessLogSettings"]
    assert stage["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


def test_pushing_functions_get_the_management_endpoint_and_manage_connections(dev_json: dict[str, Any]) -> None:
    api_id, _ = only(dev_json, "AWS::ApiGatewayV2::Api")
    for logical, function in resources_of(dev_json, "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        statements = policy_statements_of(dev_json, function["Properties"]["Role"]["Fn::GetAtt"][0])
        manage = [s for s in statements if s["Action"] == "execute-api:ManageConnections"]
        pushes = logical == _function_id(dev_json, "ws-default") or logical == _function_id(
            dev_json, "market-data-consumer"
        )
        assert ("TRADEWIND_WEBSOCKET_ENDPOINT" in variables) == pushes, logical
        assert bool(manage) == pushes, logical
        if pushes:
            assert mentions(variables["TRADEWIND_WEBSOCKET_ENDPOINT"], api_id)
            assert mentions(manage, api_id)
