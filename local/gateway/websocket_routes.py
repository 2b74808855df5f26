"""The WebSocket API as the template declares it: stage, route selection, routes, authorizer.

Which function serves which route key is read from the synthesized
`AWS::ApiGatewayV2::*` resources (route -> integration -> function ARN), so a
route added in the CDK app is served locally without touching the gateway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local.template import Resource, Template, TemplateError, integration_function

_BODY_EXPRESSION = re.compile(r"^\$request\.body\.(?P<path>[\w.]+)$")
DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class WebSocketApi:
    stage: str
    selection_expression: str
    # Route key -> ARN of the function behind it.
    routes: Mapping[str, str]
    # ARN of the $connect REQUEST authorizer, if the route has one.
    authorizer: str | None

    @property
    def functions(self) -> list[str]:
        return [*self.routes.values(), *([self.authorizer] if self.authorizer else [])]

    def select(self, body: str | None) -> str | None:
        """The route for a message: the key the selection expression yields if a route has it,
        else `$default`; None when neither exists (API Gateway then answers "Forbidden")."""
        match = _BODY_EXPRESSION.match(self.selection_expression)
        if match and body:
            try:
                value: Any = json.loads(body)
                for part in match["path"].split("."):
                    value = value[part] if isinstance(value, dict) else None
            except ValueError:
                value = None
            if isinstance(value, str) and value in self.routes:
                return value
        return DEFAULT_ROUTE if DEFAULT_ROUTE in self.routes else None


def _ref(value: Any) -> str:
    """The logical id in `{"Ref": id}` or in CDK's `integrations/<Ref>` join."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::Join" in value:
        refs = [part for part in value["Fn::Join"][1] if isinstance(part, dict) and "Ref" in part]
        if len(refs) == 1:
            return str(refs[0]["Ref"])
    raise TemplateError(f"cannot follow the reference {value!r}")


def websocket_api(template: Template) -> WebSocketApi:
    apis = [a for a in template.of_type("AWS::ApiGatewayV2::Api") if a.properties.get("ProtocolType") == "WEBSOCKET"]
    if len(apis) != 1:
        raise TemplateError(f"expected one WebSocket API in the template, found {len(apis)}")
    api = apis[0]

    def of_api(resource_type: str) -> list[Resource]:
        return [r for r in template.of_type(resource_type) if _ref(r.properties.get("ApiId")) == api.logical_id]

    stages = of_api("AWS::ApiGatewayV2::Stage")
    if not stages:
        raise TemplateError("the WebSocket API has no stage")
    routes: dict[str, str] = {}
    authorizer: str | None = None
    for route in of_api("AWS::ApiGatewayV2::Route"):
        key = str(route.properties["RouteKey"])
        integration = template.get(_ref(route.properties["Target"]))
        routes[key] = integration_function(template, integration.properties["IntegrationUri"])
        if key == "$connect" and route.properties.get("AuthorizerId"):
            authorizer_resource = template.get(_ref(route.properties["AuthorizerId"]))
            authorizer = integration_function(template, authorizer_resource.properties["AuthorizerUri"])
    return WebSocketApi(
        stage=str(stages[0].properties["StageName"]),
        selection_expression=str(api.properties.get("RouteSelectionExpression", "")),
        routes=routes,
        authorizer=authorizer,
    )
