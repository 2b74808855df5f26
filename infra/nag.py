"""cdk-nag (AwsSolutions) wiring and the one way to acknowledge a finding.

cdk-nag 3 runs as a CDK validation plugin: an unacknowledged error makes
`app.synth()` raise, so the synth itself is the security gate. Every
acknowledgement must say why the finding does not apply.
"""

from __future__ import annotations

from collections.abc import Iterator

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def attach_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge `rule_id` on `scope` and everything below it.

    Granular findings such as `AwsSolutions-IAM5[Resource::*]` carry `::`, which
    `Validations.acknowledge` reads as a rule-source prefix, so those are written
    as the acknowledged-rules metadata that cdk-nag reads directly.
    """
    if not reason.strip():
        raise ValueError(f"acknowledging {rule_id} needs a reason")
    if "::" in rule_id:
        scope.node.add_metadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, {rule_id: reason})
    else:
        Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def acknowledgements(scope: IConstruct) -> Iterator[tuple[str, str, str]]:
    """Every acknowledgement in the tree as (construct path, rule id, reason), for audits and tests."""
    for construct in scope.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule_id, reason in dict(entry.data).items():
                    yield construct.node.path, rule_id, str(reason)


def logical_id(resource: IConstruct) -> str:
    """The logical id of an L2 construct's CloudFormation resource, as findings name it."""
    cfn = resource.node.default_child
    if not isinstance(cfn, CfnElement):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource")
    return Stack.of(resource).get_logical_id(cfn)


def arn_token(resource: IConstruct) -> str:
    """How cdk-nag spells the ARN of `resource` in granular findings: `<LogicalId.Arn>`."""
    return f"<{logical_id(resource)}.Arn>"
