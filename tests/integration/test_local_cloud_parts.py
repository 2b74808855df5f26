"""The local cloud's pieces, without starting it: event shapes checked against
Powertools' own models of AWS events, the template resolver, route matching,
authorizer policies, the moto patch point and the snapshot format."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import moto
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
    KinesisDataStreamModel,
)
from moto import mock_aws

from local import lambda_patch, snapshot, synthesis
from local.gateway.events import (
    authorizer_claims,
    policy_allows,
    rest_event,
    websocket_connect_event,
    websocket_context,
    websocket_disconnect_event,
    websocket_message_event,
)
from local.gateway.routes import ApiRoute, find_route
from local.gateway.websocket_routes import WebSocketApi, websocket_api
from local.kinesis import kinesis_event
from local.runtime import FunctionRuntime, LambdaContext
from local.template import Template, TemplateError
from tradewind.auth.principal import Principal
from tradewind.settings import Settings

SETTINGS = Settings(stage="local", account="000000000000", AWS_REGION="us-east-1")
STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/tradewind-local-market-data"


def test_moto_invoke_still_has_the_signature_the_patch_replaces() -> None:
    lambda_patch.check_signature()


def test_rest_events_match_the_api_gateway_model_and_carry_string_claims() -> None:
    claims = authorizer_claims(
        {
            "sub": "u-1",
            "email": "a@b.c",
            "cognito:groups": ["admin", "investor"],
            "exp": 1795000000,
            "email_verified": True,
        }
    )
    event = rest_event(
        method="POST",
        resource="/{proxy+}",
        path="/orders/42",
        stage="v1",
        headers=[("content-type", "application/json"), ("x-multi", "1"), ("x-multi", "2")],
        query=[("limit", "5"), ("tag", "a"), ("tag", "b")],
        path_parameters={"proxy": "orders/42"},
        body=b'{"qty": 1}',
        source_ip="127.0.0.1",
        account="000000000000",
        api_id="local",
        domain="127.0.0.1:8000",
        claims=claims,
    )
    parsed = APIGatewayProxyEventModel.model_validate(event)
    assert parsed.path == "/orders/42"
    assert parsed.requestContext.path == "/v1/orders/42"
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "tag": ["a", "b"]}
    assert event["queryStringParameters"]["tag"] == "b"
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["cognito:groups"] == "admin,investor"
    assert claims["exp"].endswith("UTC 2026")
    assert Principal.from_claims(event["requestContext"]["authorizer"]["claims"]).groups == {"admin", "investor"}


def test_binary_bodies_are_base64_encoded() -> None:
    event = rest_event(
        method="PUT",
        resource="/{proxy+}",
        path="/files",
        stage="v1",
        headers=[],
        query=[],
        path_parameters={},
        body=b"\xff\xfe",
        source_ip="127.0.0.1",
        account="000000000000",
        api_id="local",
        domain="localhost",
        claims=None,
    )
    assert event["isBase64Encoded"] is True
    assert event["body"] == "//4="
    assert "authorizer" not in event["requestContext"]


def _ws_context(route_key: str, event_type: str) -> dict[str, Any]:
    return websocket_context(
        route_key=route_key,
        event_type=event_type,
        connection_id="abc=",
        connected_at=1_700_000_000_000,
        stage="v1",
        domain="127.0.0.1:8001",
        api_id="localws",
        source_ip="127.0.0.1",
        user_agent="pytest",
    )


def test_websocket_events_match_the_api_gateway_models() -> None:
    authorizer = {"principalId": "u-1", "sub": "u-1", "cognito:groups": "investor"}
    headers = [("host", "127.0.0.1:8001"), ("user-agent", "pytest")]
    connect = websocket_connect_event(_ws_context("$connect", "CONNECT"), headers, [("token", "t")], authorizer)
    APIGatewayWebSocketConnectEventModel.model_validate(connect)
    message = websocket_message_event(_ws_context("$default", "MESSAGE"), '{"action":"ping"}', None, authorizer)
    assert APIGatewayWebSocketMessageEventModel.model_validate(message).body == '{"action":"ping"}'
    binary = websocket_message_event(_ws_context("$default", "MESSAGE"), None, b"\x00\x01", authorizer)
    assert binary["isBase64Encoded"] is True
    disconnect = websocket_disconnect_event(_ws_context("$disconnect", "DISCONNECT"), headers, 1001, authorizer)
    parsed = APIGatewayWebSocketDisconnectEventModel.model_validate(disconnect)
    assert parsed.request_context.disconnect_status_code == 1001


def test_kinesis_batches_match_the_lambda_event_model() -> None:
    arrived = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    records = [
        {"PartitionKey": "NVDA", "SequenceNumber": "100", "Data": b'{"a": 1}', "ApproximateArrivalTimestamp": arrived},
        {"PartitionKey": "AAPL", "SequenceNumber": "101", "Data": b"{not json", "ApproximateArrivalTimestamp": arrived},
    ]
    event = kinesis_event(records, "shardId-000000000001", STREAM_ARN, "us-east-1", "arn:aws:iam::0:role/r")
    parsed = KinesisDataStreamModel.model_validate(event)
    assert [r.kinesis.data for r in parsed.Records] == [b'{"a": 1}', b"{not json"]
    assert parsed.Records[1].eventID == "shardId-000000000001:101"
    assert parsed.Records[0].eventSourceARN == STREAM_ARN


TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "tradewind-local-backtest-task"}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "tradewind-local-market-data-dlq"}},
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {"BucketName": {"Fn::Join": ["-", ["tradewind-local-reports", {"Ref": "AWS::AccountId"}]]}},
        },
        "Unnamed": {"Type": "AWS::Lambda::Function", "Properties": {}},
    }
}


def test_the_resolver_replaces_the_intrinsics_cdk_emits() -> None:
    template = Template(TEMPLATE, SETTINGS, queue_endpoint="http://127.0.0.1:4566")
    definition = {
        "Fn::Join": [
            "",
            ['{"Resource":"', {"Fn::GetAtt": ["Fn", "Arn"]}, '","P":"', {"Ref": "AWS::Partition"}, '"}'],
        ]
    }
    assert template.resolve(definition) == (
        '{"Resource":"arn:aws:lambda:us-east-1:000000000000:function:tradewind-local-backtest-task","P":"aws"}'
    )
    assert template.resolve({"Ref": "Queue"}) == "http://127.0.0.1:4566/000000000000/tradewind-local-market-data-dlq"
    assert template.resolve({"Ref": "Bucket"}) == "tradewind-local-reports-000000000000"
    assert template.resolve({"Fn::GetAtt": ["Bucket", "Arn"]}) == "arn:aws:s3:::tradewind-local-reports-000000000000"
    template.bind("Fn", "bound-name")
    assert template.resolve([{"Ref": "Fn"}, 1]) == ["bound-name", 1]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Fn::Sub": "${AWS::Region}"}, "Fn::Sub"),
        ({"Ref": "Missing"}, "Missing"),
        ({"Ref": "Unnamed"}, "no explicit name"),
        ({"Fn::GetAtt": ["Fn", "Version"]}, "Fn.Version"),
    ],
)
def test_the_resolver_refuses_what_it_cannot_reproduce(value: Any, message: str) -> None:
    template = Template(TEMPLATE, SETTINGS, queue_endpoint="http://127.0.0.1:4566")
    with pytest.raises(TemplateError, match=message):
        template.resolve(value)


API = "arn:aws:lambda:us-east-1:000000000000:function:tradewind-local-api"
ROUTES = sorted(
    [ApiRoute("GET", "/health", API), ApiRoute("ANY", "/{proxy+}", API), ApiRoute("GET", "/strategies/{id}", API)],
    key=lambda route: route.specificity,
    reverse=True,
)


@pytest.mark.parametrize(
    ("method", "path", "resource", "parameters"),
    [
        ("GET", "/health", "/health", {}),
        ("POST", "/health", "/{proxy+}", {"proxy": "health"}),
        ("GET", "/strategies/s-1", "/strategies/{id}", {"id": "s-1"}),
        ("DELETE", "/strategies/s-1", "/{proxy+}", {"proxy": "strategies/s-1"}),
        ("GET", "/admin/users", "/{proxy+}", {"proxy": "admin/users"}),
    ],
)
def test_the_most_specific_resource_serves_a_request(
    method: str, path: str, resource: str, parameters: dict[str, str]
) -> None:
    found = find_route(ROUTES, method, path)
    assert found is not None
    assert (found[0].resource, found[1]) == (resource, parameters)


def test_the_root_is_not_matched_by_a_greedy_proxy() -> None:
    assert find_route(ROUTES, "GET", "/") is None


METHOD_ARN = "arn:aws:execute-api:us-east-1:000000000000:localws/v1/$connect"


def _policy(*statements: tuple[str, str]) -> dict[str, Any]:
    return {
        "principalId": "u-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}
                for effect, resource in statements
            ],
        },
    }


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        (_policy(("Allow", "arn:aws:execute-api:us-east-1:000000000000:localws/v1/*")), True),
        (_policy(("Allow", METHOD_ARN)), True),
        (_policy(("Allow", "*"), ("Deny", METHOD_ARN)), False),
        (_policy(("Allow", "arn:aws:execute-api:us-east-1:000000000000:other/v1/*")), False),
        (_policy(), False),
    ],
    ids=["wildcard", "exact", "deny-wins", "other-api", "empty"],
)
def test_authorizer_policies_follow_iam_rules(policy: dict[str, Any], allowed: bool) -> None:
    assert policy_allows(policy, METHOD_ARN) is allowed


def test_a_snapshot_restores_cognito_with_its_signing_key(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.pickle"
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="c")["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(UserPoolId=pool_id, Username="u", TemporaryPassword="Temp-Passw0rd!")
        cognito.admin_set_user_password(UserPoolId=pool_id, Username="u", Password="Final-Passw0rd!", Permanent=True)
        snapshot.save(path, {"stream#shardId-000000000000": "42"})
    with mock_aws():
        assert snapshot.load(path) == {"stream#shardId-000000000000": "42"}
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        auth = cognito.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "u", "PASSWORD": "Final-Passw0rd!"},
        )
        assert auth["AuthenticationResult"]["IdToken"].count(".") == 2


def _document(path: Path, **changes: Any) -> None:
    document = pickle.loads(path.read_bytes())
    document.update(changes)
    path.write_bytes(pickle.dumps(document))


@pytest.mark.parametrize(
    ("change", "message"),
    [({"moto_version": "0.0.1"}, "moto 0.0.1"), ({"format_version": 999}, "format 999")],
    ids=["other-moto", "other-format"],
)
def test_an_incompatible_snapshot_is_refused_with_the_way_out(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    path = tmp_path / "snapshot.pickle"
    with mock_aws():
        snapshot.save(path, {})
    _document(path, **change)
    with pytest.raises(snapshot.SnapshotError, match=message) as refused:
        snapshot.load(path)
    assert "--fresh" in str(refused.value)
    assert moto.__version__ in str(refused.value)


def test_a_truncated_snapshot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.pickle"
    with mock_aws():
        snapshot.save(path, {})
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(snapshot.SnapshotError, match="corrupt"):
        snapshot.load(path)


def test_the_template_cache_key_follows_the_synth_inputs(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "stacks.py").write_text("A = 1\n")
    (tmp_path / "cdk.json").write_text("{}")
    first = synthesis.fingerprint(tmp_path)
    (tmp_path / "README.md").write_text("not an input")
    assert synthesis.fingerprint(tmp_path) == first
    (tmp_path / "infra" / "stacks.py").write_text("A = 2\n")
    assert synthesis.fingerprint(tmp_path) != first


def _lambda_uri(function: str) -> dict[str, Any]:
    arn = {"Fn::GetAtt": [function, "Arn"]}
    return {"Fn::Join": ["", ["arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/", arn, "/invocations"]]}


def _route(key: str, integration: str, **extra: Any) -> dict[str, Any]:
    target = {"Fn::Join": ["", ["integrations/", {"Ref": integration}]]}
    return {
        "Type": "AWS::ApiGatewayV2::Route",
        "Properties": {"ApiId": {"Ref": "Ws"}, "RouteKey": key, "Target": target, **extra},
    }


WEBSOCKET_TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Ws": {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {"ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.action"},
        },
        "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"ApiId": {"Ref": "Ws"}, "StageName": "v1"}},
        "Auth": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "tradewind-local-ws-authorizer"}},
        "Default": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "tradewind-local-ws-default"}},
        "Connect": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "tradewind-local-ws-connect"}},
        "Authorizer": {
            "Type": "AWS::ApiGatewayV2::Authorizer",
            "Properties": {"ApiId": {"Ref": "Ws"}, "AuthorizerType": "REQUEST", "AuthorizerUri": _lambda_uri("Auth")},
        },
        "OnDefault": {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {"ApiId": {"Ref": "Ws"}, "IntegrationUri": _lambda_uri("Default")},
        },
        "OnConnect": {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {"ApiId": {"Ref": "Ws"}, "IntegrationUri": _lambda_uri("Connect")},
        },
        "DefaultRoute": _route("$default", "OnDefault"),
        "SubscribeRoute": _route("subscribe", "OnDefault"),
        "ConnectRoute": _route("$connect", "OnConnect", AuthorizerId={"Ref": "Authorizer"}),
    }
}


def test_the_websocket_api_is_read_from_the_template() -> None:
    api = websocket_api(Template(WEBSOCKET_TEMPLATE, SETTINGS, queue_endpoint="http://127.0.0.1:4566"))
    prefix = "arn:aws:lambda:us-east-1:000000000000:function:tradewind-local-"
    assert api.stage == "v1"
    assert api.routes == {
        "$default": f"{prefix}ws-default",
        "subscribe": f"{prefix}ws-default",
        "$connect": f"{prefix}ws-connect",
    }
    assert api.authorizer == f"{prefix}ws-authorizer"


@pytest.mark.parametrize(
    ("body", "route"),
    [
        ('{"action": "subscribe", "topics": ["bars"]}', "subscribe"),
        ('{"action": "ping"}', "$default"),
        ('{"action": 1}', "$default"),
        ("[1, 2]", "$default"),
        ("not json", "$default"),
        (None, "$default"),
    ],
)
def test_messages_are_routed_by_the_selection_expression(body: str | None, route: str) -> None:
    api = WebSocketApi(
        stage="v1",
        selection_expression="$request.body.action",
        routes={"$default": "d", "subscribe": "s"},
        authorizer=None,
    )
    assert api.select(body) == route


def test_without_a_default_route_an_unknown_action_has_no_route() -> None:
    api = WebSocketApi(
        stage="v1", selection_expression="$request.body.action", routes={"subscribe": "s"}, authorizer=None
    )
    assert api.select('{"action": "ping"}') is None


@pytest.mark.parametrize(
    "name_or_arn",
    [
        "tradewind-local-api",
        "tradewind-local-api:$LATEST",
        "arn:aws:lambda:us-east-1:000000000000:function:tradewind-local-api",
        "arn:aws:lambda:us-east-1:000000000000:function:tradewind-local-api:live",
        "000000000000:function:tradewind-local-api",
    ],
)
def test_functions_are_found_by_name_or_arn(name_or_arn: str) -> None:
    runtime = FunctionRuntime("local", "us-east-1", "000000000000")
    assert runtime.spec(name_or_arn).logical == "api"


def test_an_unknown_function_is_a_lookup_error() -> None:
    with pytest.raises(LookupError, match="tradewind-dev-api"):
        FunctionRuntime("local", "us-east-1", "000000000000").spec("tradewind-dev-api")


def test_the_context_counts_down_from_the_function_timeout() -> None:
    context = LambdaContext(function_name="f", invoked_function_arn="arn", memory_limit_in_mb=128, timeout_s=30)
    assert 0 < context.get_remaining_time_in_millis() <= 30_000
    assert context.log_group_name == "/aws/lambda/f"
