"""The REST API's resource tree, read from the synthesized `AWS::ApiGateway::*` resources.

API Gateway tells the function which *resource* matched (`/{proxy+}`) and
with which path parameters; the local gateway must give the same answer, so
it matches request paths against the same tree, most specific first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local.template import Resource, Template, integration_function


@dataclass(frozen=True)
class ApiRoute:
    method: str  # an HTTP method or ANY
    resource: str  # e.g. /health, /strategies/{id}, /{proxy+}
    function: str  # ARN of the function behind the proxy integration

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(part for part in self.resource.split("/") if part)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters if this route serves the request, else None."""
        if self.method not in ("ANY", method):
            return None
        parts = [part for part in path.split("/") if part]
        parameters: dict[str, str] = {}
        for i, segment in enumerate(self.segments):
            if segment.startswith("{") and segment.endswith("+}"):
                if i >= len(parts):
                    return None
                parameters[segment[1:-2]] = "/".join(parts[i:])
                return parameters
            if i >= len(parts):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                parameters[segment[1:-1]] = parts[i]
            elif segment != parts[i]:
                return None
        return parameters if len(parts) == len(self.segments) else None

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Literal segments beat `{param}`, which beats `{proxy+}`; an exact method beats ANY."""
        literal = sum(1 for s in self.segments if not s.startswith("{"))
        greedy = sum(1 for s in self.segments if s.endswith("+}"))
        return (literal, -greedy, int(self.method != "ANY"))


def api_routes(template: Template) -> list[ApiRoute]:
    """Every Lambda-proxy method of the REST API, most specific first."""
    resources = {r.logical_id: r for r in template.of_type("AWS::ApiGateway::Resource")}

    def path_of(reference: Any) -> str:
        if isinstance(reference, dict) and "Ref" in reference and reference["Ref"] in resources:
            parent: Resource = resources[reference["Ref"]]
            return f"{path_of(parent.properties['ParentId']).rstrip('/')}/{parent.properties['PathPart']}"
        return "/"  # Fn::GetAtt [RestApi, RootResourceId]

    routes = [
        ApiRoute(
            str(method.properties["HttpMethod"]).upper(),
            path_of(method.properties["ResourceId"]),
            integration_function(template, method.properties["Integration"]["Uri"]),
        )
        for method in template.of_type("AWS::ApiGateway::Method")
        if (method.properties.get("Integration") or {}).get("Type") == "AWS_PROXY"
    ]
    return sorted(routes, key=lambda route: route.specificity, reverse=True)


def find_route(routes: list[ApiRoute], method: str, path: str) -> tuple[ApiRoute, dict[str, str]] | None:
    for route in routes:
        parameters = route.match(method, path)
        if parameters is not None:
            return route, parameters
    return None
