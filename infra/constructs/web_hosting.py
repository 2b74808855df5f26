"""CloudFront distributions for the admin and investor web apps, served from the web bucket.

One bucket, one prefix and one distribution per app: each app has its own
domain, cache and SPA fallback. CloudFront reads the bucket through origin
access control; the bucket stays private. A built app (`web/<app>/dist`) is
uploaded when it exists; until the apps are built only the distributions are
created.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import (
    DefaultStackSynthesizer,
    Duration,
    Stack,
    aws_certificatemanager,
    aws_cloudfront,
    aws_cloudfront_origins,
    aws_logs,
    aws_s3,
    aws_s3_deployment,
)
from constructs import Construct, IConstruct

from infra.config import EnvironmentConfig
from infra.constructs.storage import acknowledge_object_grant
from infra.nag import acknowledge, arn_token
from tradewind.resources import physical_name

WEB_APPS = ("admin", "investor")
INDEX = "index.html"
HSTS_MAX_AGE = Duration.days(730)


class WebHosting(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        bucket: aws_s3.IBucket,
        log_bucket: aws_s3.IBucket,
        web_dir: Path,
    ) -> None:
        super().__init__(scope, construct_id)
        headers = aws_cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            response_headers_policy_name=physical_name(config.stage, "web-security"),
            security_headers_behavior=aws_cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=aws_cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, preload=True, override=True
                ),
                content_type_options=aws_cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=aws_cloudfront.ResponseHeadersFrameOptions(
                    frame_option=aws_cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=aws_cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=aws_cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                xss_protection=aws_cloudfront.ResponseHeadersXSSProtection(
                    protection=True, mode_block=True, override=True
                ),
            ),
        )
        certificate = (
            aws_certificatemanager.Certificate.from_certificate_arn(self, "Certificate", config.web_certificate_arn)
            if config.web_certificate_arn
            else None
        )
        self.distributions = {
            app: self._distribution(
                app, config=config, bucket=bucket, log_bucket=log_bucket, headers=headers, certificate=certificate
            )
            for app in WEB_APPS
        }
        built = {app: web_dir / app / "dist" for app in WEB_APPS if (web_dir / app / "dist").is_dir()}
        if built:
            # One log group for CDK's (singleton) copy function, with the stage's retention.
            upload_logs = aws_logs.LogGroup(
                self, "UploadLogs", retention=config.log_retention, removal_policy=config.cdk_removal_policy
            )
            for app, folder in built.items():
                self._upload(app, folder, bucket, self.distributions[app], upload_logs)

    def _distribution(
        self,
        app: str,
        *,
        config: EnvironmentConfig,
        bucket: aws_s3.IBucket,
        log_bucket: aws_s3.IBucket,
        headers: aws_cloudfront.IResponseHeadersPolicy,
        certificate: aws_certificatemanager.ICertificate | None,
    ) -> aws_cloudfront.Distribution:
        domain = config.web_domains.get(app)
        custom_domain = bool(domain and certificate)
        distribution = aws_cloudfront.Distribution(
            self,
            app,
            comment=physical_name(config.stage, f"web-{app}"),
            default_root_object=INDEX,
            default_behavior=aws_cloudfront.BehaviorOptions(
                origin=aws_cloudfront_origins.S3BucketOrigin.with_origin_access_control(bucket, origin_path=f"/{app}"),
                viewer_protocol_policy=aws_cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=aws_cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
            ),
            # Client-side routes: unknown paths get the app, which renders its own 404.
            error_responses=[
                aws_cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=200,
                    response_page_path=f"/{INDEX}",
                    ttl=Duration.seconds(0),
                )
                for status in (403, 404)
            ],
            domain_names=[domain] if custom_domain and domain else None,
            certificate=certificate if custom_domain else None,
            minimum_protocol_version=(aws_cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if custom_domain else None),
            http_version=aws_cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=aws_cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=log_bucket,
            log_file_prefix=f"cloudfront/{app}/",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR1",
            "Investors may sign in from any country; access is controlled by Cognito, not by geography.",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR2",
            "Static files only; the REST API behind it has its own WAF. A CloudFront web ACL must live in "
            "us-east-1 and comes with the custom domains.",
        )
        if not custom_domain:
            acknowledge(
                distribution,
                "AwsSolutions-CFR4",
                "Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose "
                "security policy cannot be set; set web_domains and web_certificate_arn in cdk.json for TLS 1.2+.",
            )
        return distribution

    def _upload(
        self,
        app: str,
        built: Path,
        bucket: aws_s3.IBucket,
        distribution: aws_cloudfront.IDistribution,
        log_group: aws_logs.ILogGroup,
    ) -> None:
        aws_s3_deployment.BucketDeployment(
            self,
            f"{app}-files",
            log_group=log_group,
            sources=[aws_s3_deployment.Source.asset(str(built))],
            destination_bucket=bucket,
            destination_key_prefix=app,
            distribution=distribution,
            distribution_paths=["/*"],
        )
        # The deployment's Lambda is a stack-level singleton: acknowledge its findings there.
        for child in Stack.of(self).node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                _acknowledge_bucket_deployment(child, bucket)


def _acknowledge_bucket_deployment(function: IConstruct, bucket: aws_s3.IBucket) -> None:
    """CDK's BucketDeployment Lambda: it runs only during a deploy, to copy the built web app."""
    reason = "CDK's BucketDeployment custom resource, run only at deploy time to copy the built web app."
    for rule_id in (
        "AwsSolutions-L1",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "AwsSolutions-IAM5[Resource::*]",
    ):
        acknowledge(function, rule_id, reason)
    stack = Stack.of(function)
    assets = f"cdk-{DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-{stack.account}-{stack.region}"
    acknowledge_object_grant(function, f"arn:{stack.partition}:s3:::{assets}", "read", "the CDK asset bucket")
    acknowledge_object_grant(function, arn_token(bucket), "read_write", "the web bucket")
