"""Reads the synthesized CloudFormation template: the local cloud's only source of wiring.

State-machine definitions, event-source mapping settings, the user pool's
settings and the REST API's resource tree all come from what `cdk synth`
produces, resolved against the names and ARNs of the resources created in
moto. CDK emits few intrinsics in these places (`Fn::Join`, `Fn::GetAtt
[x, Arn]`, `Ref`), so a small resolver is enough; anything else is an error
naming the intrinsic rather than a silently wrong value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tradewind.settings import Settings

# For each resource type: the property holding its physical name and how to
# turn that name into what `Ref` and `Fn::GetAtt [x, Arn]` return.
_NAME_PROPERTY = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::SQS::Queue": "QueueName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Cognito::UserPool": "UserPoolName",
}


_FUNCTION_IN_URI = re.compile(r"/functions/(?P<arn>arn:[^/]+)/invocations$")


class TemplateError(Exception):
    """The template uses something the local cloud cannot reproduce."""


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]


class Template:
    """A synthesized template plus the runtime values only the local cloud knows."""

    def __init__(self, body: Mapping[str, Any], settings: Settings, queue_endpoint: str) -> None:
        self._resources = {
            logical_id: Resource(logical_id, str(raw["Type"]), dict(raw.get("Properties") or {}))
            for logical_id, raw in (body.get("Resources") or {}).items()
        }
        self._settings = settings
        self._queue_endpoint = queue_endpoint.rstrip("/")
        # Values decided at run time (e.g. the user pool id moto generated).
        self._refs: dict[str, str] = {}
        self._attributes: dict[tuple[str, str], str] = {}

    def of_type(self, resource_type: str) -> Iterator[Resource]:
        return (r for r in self._resources.values() if r.type == resource_type)

    def get(self, logical_id: str) -> Resource:
        try:
            return self._resources[logical_id]
        except KeyError:
            raise TemplateError(f"the template has no resource {logical_id!r}") from None

    def bind(self, logical_id: str, ref: str, attributes: Mapping[str, str] | None = None) -> None:
        """Records what `Ref`/`Fn::GetAtt` of a resource created at run time resolve to."""
        self._refs[logical_id] = ref
        for name, value in (attributes or {}).items():
            self._attributes[(logical_id, name)] = value

    def physical_name(self, resource: Resource) -> str:
        prop = _NAME_PROPERTY.get(resource.type)
        if prop is None or prop not in resource.properties:
            raise TemplateError(
                f"{resource.logical_id} ({resource.type}) has no explicit name: the local cloud needs one"
            )
        return str(self.resolve(resource.properties[prop]))

    def resolve(self, value: Any) -> Any:
        """Replaces intrinsics recursively; plain values come back unchanged."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(str(argument))
            if key == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
                return self._get_att(str(logical_id), str(attribute))
            if key == "Fn::Join":
                separator, parts = argument
                return str(separator).join(str(self.resolve(part)) for part in parts)
            if key.startswith("Fn::") or key == "Condition":
                raise TemplateError(f"the local cloud cannot resolve {key}")
        return {key: self.resolve(item) for key, item in value.items()}

    def _ref(self, name: str) -> str:
        pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": self._settings.region,
            "AWS::AccountId": self._settings.account,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": f"tradewind-{self._settings.stage}",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self._refs:
            return self._refs[name]
        resource = self.get(name)
        physical = self.physical_name(resource)
        if resource.type == "AWS::SQS::Queue":
            return f"{self._queue_endpoint}/{self._settings.account}/{physical}"
        if resource.type == "AWS::StepFunctions::StateMachine":
            return self._arn(resource, physical)
        return physical

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) in self._attributes:
            return self._attributes[(logical_id, attribute)]
        resource = self.get(logical_id)
        if attribute != "Arn":
            raise TemplateError(f"the local cloud cannot resolve Fn::GetAtt {logical_id}.{attribute}")
        return self._arn(resource, self.physical_name(resource))

    def _arn(self, resource: Resource, name: str) -> str:
        region, account = self._settings.region, self._settings.account
        arns = {
            "AWS::Lambda::Function": f"arn:aws:lambda:{region}:{account}:function:{name}",
            "AWS::Kinesis::Stream": f"arn:aws:kinesis:{region}:{account}:stream/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{region}:{account}:{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{region}:{account}:table/{name}",
            "AWS::DynamoDB::GlobalTable": f"arn:aws:dynamodb:{region}:{account}:table/{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::StepFunctions::StateMachine": f"arn:aws:states:{region}:{account}:stateMachine:{name}",
        }
        if resource.type not in arns:
            raise TemplateError(f"the local cloud cannot build the ARN of {resource.logical_id} ({resource.type})")
        return arns[resource.type]


def integration_function(template: Template, uri: Any) -> str:
    """The function ARN of an API Gateway Lambda integration URI (`.../functions/<arn>/invocations`)."""
    resolved = str(template.resolve(uri))
    match = _FUNCTION_IN_URI.search(resolved)
    if match is None:
        raise TemplateError(f"not a Lambda integration: {resolved}")
    return match["arn"]
