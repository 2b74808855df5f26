"""CloudFront hosting, alarms, and the cdk-nag gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, aws_s3

from infra import nag
from infra.constructs.web_hosting import WEB_APPS
from infra.synth import Synthesis
from tests.infra.helpers import ADMIN_DOMAIN, CERTIFICATE_ARN, arn_of, by_property, mentions, only, resources_of
from tradewind.resources import BACKTEST_STATE_MACHINE, FUNCTIONS, MARKET_DATA_DLQ, physical_name

STAGE = "dev"


@pytest.mark.parametrize("app", WEB_APPS)
def test_each_web_app_has_a_private_https_only_distribution(dev_json: dict[str, Any], app: str) -> None:
    config = _distribution_config(dev_json, STAGE, app)
    assert config["DefaultRootObject"] == "index.html"
    (origin,) = config["Origins"]
    assert origin["OriginPath"] == f"/{app}"
    assert "OriginAccessControlId" in origin
    web_bucket, _ = by_property(dev_json, "AWS::S3::Bucket", "BucketName", f"tradewind-{STAGE}-web-111111111111")
    assert mentions(origin["DomainName"], web_bucket)
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    headers_id, headers = only(dev_json, "AWS::CloudFront::ResponseHeadersPolicy")
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": headers_id}
    security = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert config["Logging"]["Prefix"] == f"cloudfront/{app}/"
    assert {r["ErrorCode"] for r in config["CustomErrorResponses"]} == {403, 404}


def _distribution_config(template: dict[str, Any], stage: str, app: str) -> dict[str, Any]:
    (config,) = [
        d["Properties"]["DistributionConfig"]
        for d in resources_of(template, "AWS::CloudFront::Distribution").values()
        if d["Properties"]["DistributionConfig"]["Comment"] == physical_name(stage, f"web-{app}")
    ]
    return config


def test_a_custom_domain_gets_its_certificate_and_tls_1_2(prod_json: dict[str, Any]) -> None:
    admin = _distribution_config(prod_json, "prod", "admin")
    assert admin["Aliases"] == [ADMIN_DOMAIN]
    assert admin["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE_ARN,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    investor = _distribution_config(prod_json, "prod", "investor")
    assert "Aliases" not in investor and "ViewerCertificate" not in investor


def test_web_files_are_uploaded_only_when_the_app_is_built(dev_json: dict[str, Any], prod_json: dict[str, Any]) -> None:
    assert not resources_of(dev_json, "Custom::CDKBucketDeployment")
    uploads = resources_of(prod_json, "Custom::CDKBucketDeployment").values()
    assert sorted(u["Properties"]["DestinationBucketKeyPrefix"] for u in uploads) == sorted(WEB_APPS)


def test_alarms_watch_the_dlq_every_function_and_the_state_machine(dev_json: dict[str, Any]) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"] for a in resources_of(dev_json, "AWS::CloudWatch::Alarm").values()
    }
    topic_id, _ = only(dev_json, "AWS::SNS::Topic")
    assert all(alarm["AlarmActions"] == [{"Ref": topic_id}] for alarm in alarms.values())
    dlq_id, _ = by_property(dev_json, "AWS::SQS::Queue", "QueueName", MARKET_DATA_DLQ.physical(STAGE))
    dlq = alarms[physical_name(STAGE, "market-data-dead-letters")]
    assert dlq["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}]
    for logical in FUNCTIONS:
        assert alarms[physical_name(STAGE, f"{logical}-errors")]["MetricName"] == "Errors"
    machine_id, _ = only(dev_json, "AWS::StepFunctions::StateMachine")
    failed = alarms[physical_name(STAGE, f"{BACKTEST_STATE_MACHINE.logical}-failed")]
    assert failed["MetricName"] == "ExecutionsFailed"
    assert failed["Dimensions"][0]["Value"] == {"Ref": machine_id}


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(dev_json: dict[str, Any]) -> None:
    key_id, key = only(dev_json, "AWS::KMS::Key")
    _, topic = only(dev_json, "AWS::SNS::Topic")
    assert topic["Properties"]["KmsMasterKeyId"] == arn_of(key_id)
    principals = [s.get("Principal") for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert {"Service": "cloudwatch.amazonaws.com"} in principals


def test_synth_passes_cdk_nag_and_every_acknowledgement_says_why(dev: Synthesis, prod_json: dict[str, Any]) -> None:
    # prod_json exists only because app.py's synth passed the same gate, with the web upload's findings.
    assert resources_of(prod_json, "Custom::CDKBucketDeployment")
    acknowledgements = list(nag.acknowledgements(dev.app))
    assert acknowledgements
    for path, rule_id, reason in acknowledgements:
        assert rule_id.startswith(("AwsSolutions-", "annotation::AwsSolutions-", "Annotation::AwsSolutions-")), path
        assert len(reason.split()) >= 5, f"{path}: {rule_id} needs a real reason, got {reason!r}"


def test_an_unacknowledged_finding_fails_synth(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    nag.attach_checks(app)
    aws_s3.Bucket(Stack(app, "Unsafe"), "PlainBucket")
    with pytest.raises(RuntimeError, match=r"ValidationFailed(.|\n)*AwsSolutions-S10"):
        app.synth()


def test_acknowledging_without_a_reason_is_refused(tmp_path: Path) -> None:
    stack = Stack(App(outdir=str(tmp_path)), "Unsafe")
    with pytest.raises(ValueError, match="needs a reason"):
        nag.acknowledge(stack, "AwsSolutions-S1", "  ")
