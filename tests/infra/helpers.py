"""Small readers of synthesized templates shared by the infra tests."""

from __future__ import annotations

import json
from typing import Any

ADMIN_DOMAIN = "admin.tradewind.example"
CERTIFICATE_ARN = "arn:aws:acm:us-east-1:222222222222:certificate/0f2b1c9e-6d7a-4c3b-9a51-2b8e7d4f1a60"


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources_of(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def by_property(template: dict[str, Any], resource_type: str, key: str, value: object) -> tuple[str, dict[str, Any]]:
    matches = [(n, r) for n, r in resources_of(template, resource_type).items() if r["Properties"].get(key) == value]
    assert len(matches) == 1, f"expected one {resource_type} with {key}={value!r}, found {len(matches)}"
    return matches[0]


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def policy_statements_of(template: dict[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    """Every statement of the inline policies attached to a role."""
    statements: list[dict[str, Any]] = []
    for policy in resources_of(template, "AWS::IAM::Policy").values():
        if ref(role_logical_id) in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def mentions(value: object, needle: str) -> bool:
    return needle in json.dumps(value)
