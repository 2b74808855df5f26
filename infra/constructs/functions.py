"""Every Lambda function of `tradewind.resources.FUNCTIONS`, with its layers.

A function's package is `functions/__init__.py` plus `functions/<folder>/`,
with handler `spec.handler` (`functions.<folder>.handler.handler`): handlers
import their own modules absolutely (`functions.api.errors`), exactly as the
local cloud and the tests import them. Third-party packages come from the
layers named in the spec, the project's own code from the `shared` layer that
every function gets. An image function (`spec.image`) is built instead from
`functions/<folder>/Dockerfile` over a staged context (`image_context`), with
no layers. Table, bucket and stream names are not passed in:
handlers derive them from TRADEWIND_STAGE through `tradewind.settings.Settings`,
so only grants are wired here.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import AssetHashType, Duration, aws_lambda, aws_logs
from constructs import Construct

from infra import assets, layers
from infra.config import PROJECT_ROOT, EnvironmentConfig
from infra.nag import acknowledge
from tradewind.resources import APP, FUNCTIONS, FunctionSpec

FUNCTIONS_DIR = PROJECT_ROOT / "functions"
RUNTIME = aws_lambda.Runtime.PYTHON_3_11
METRICS_NAMESPACE = "Tradewind"
_ASSET_EXCLUDES = ["__pycache__", "*.pyc", "tests"]
# The layer locks an image installs, so image and zip functions run the same packages.
IMAGE_LAYER_LOCKS = ("core", "numeric")


class MissingFunctionCode(FileNotFoundError):
    """A FunctionSpec has no `functions/<folder>/handler.py` yet."""


class Layers(Construct):
    """The `core`, `numeric` and `shared` layers.

    With `bundle` the layers are real (pip-installed manylinux wheels, cached
    under .build/layers); without it the recipe folders stand in, which is
    enough for templates read by the local cloud and costs no download.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, bundle: bool) -> None:
        super().__init__(scope, construct_id)
        names = sorted({name for spec in FUNCTIONS.values() for name in spec.layers} | {layers.SHARED_LAYER})
        self.by_name = {name: self._layer(name, config, bundle) for name in names}

    def _layer(self, name: str, config: EnvironmentConfig, bundle: bool) -> aws_lambda.LayerVersion:
        return aws_lambda.LayerVersion(
            self,
            name,
            layer_version_name=f"{APP}-{config.stage}-{name}",
            code=self._code(name, bundle),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[aws_lambda.Architecture.X86_64],
            removal_policy=config.cdk_removal_policy,
        )

    @staticmethod
    def _code(name: str, bundle: bool) -> aws_lambda.Code:
        if name == layers.SHARED_LAYER:
            source = layers.built_shared_layer() if bundle else layers.SHARED_CODE_DIR
            return aws_lambda.Code.from_asset(str(source), exclude=_ASSET_EXCLUDES)
        if not bundle:
            return aws_lambda.Code.from_asset(str(layers.requirements_file(name).parent))
        # The cache key already identifies the content: skip fingerprinting ~100 MB per synth.
        return aws_lambda.Code.from_asset(
            str(layers.built_layer(name)),
            exclude=_ASSET_EXCLUDES,
            asset_hash=layers.recipe_hash(name),
            asset_hash_type=AssetHashType.CUSTOM,
        )


class Functions(Construct):
    """One `aws_lambda.Function` per spec: traced, logged with retention, Powertools configured."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        layer_set: Layers,
    ) -> None:
        super().__init__(scope, construct_id)
        self.by_logical: dict[str, aws_lambda.Function] = {
            spec.logical: self._function(spec, config, layer_set) for spec in FUNCTIONS.values()
        }
        acknowledge(
            self,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "AWSLambdaBasicExecutionRole only allows writing the function's own CloudWatch logs; "
            "a hand-written copy would add nothing.",
        )
        acknowledge(
            self,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
        )
        acknowledge(
            self,
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "CDK's KMS grants for encrypted queues, tables and streams; scoped to the one data key.",
        )
        acknowledge(
            self,
            "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
            "CDK's KMS grants for encrypted queues, tables and streams; scoped to the one data key.",
        )
        acknowledge(
            self,
            "AwsSolutions-L1",
            "Pinned to python3.11: the project, its tests and the manylinux layers are built for CPython 3.11.",
        )

    def __getitem__(self, logical: str) -> aws_lambda.Function:
        return self.by_logical[logical]

    def add_environment(self, logicals: tuple[str, ...], name: str, value: str) -> None:
        for logical in logicals:
            self.by_logical[logical].add_environment(name, value)

    def _function(self, spec: FunctionSpec, config: EnvironmentConfig, layer_set: Layers) -> aws_lambda.Function:
        name = spec.physical(config.stage)
        log_group = aws_logs.LogGroup(
            self,
            f"{spec.logical}-logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=config.log_retention,
            removal_policy=config.cdk_removal_policy,
        )
        common = dict(
            function_name=name,
            description=spec.purpose,
            architecture=aws_lambda.Architecture.X86_64,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            reserved_concurrent_executions=config.reserved_concurrency.get(spec.logical),
            tracing=aws_lambda.Tracing.ACTIVE,
            log_group=log_group,
            environment={
                "TRADEWIND_STAGE": config.stage,
                "TRADEWIND_ACCOUNT": config.account,
                "POWERTOOLS_SERVICE_NAME": spec.logical,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "LOG_LEVEL": config.log_level,
                **spec.environment,
            },
        )
        if spec.image:
            return aws_lambda.DockerImageFunction(
                self,
                spec.logical,
                code=aws_lambda.DockerImageCode.from_image_asset(
                    str(image_context(spec)), file=f"functions/{spec.folder}/Dockerfile"
                ),
                **common,
            )
        return aws_lambda.Function(
            self,
            spec.logical,
            runtime=RUNTIME,
            handler=spec.handler,
            code=aws_lambda.Code.from_asset(str(function_package(spec))),
            layers=[layer_set.by_name[layer] for layer in (*spec.layers, layers.SHARED_LAYER)],
            **common,
        )


def function_package(spec: FunctionSpec) -> Path:
    """The function's folder with its `functions` package parent, staged under .build/functions."""
    folder = FUNCTIONS_DIR / spec.folder
    if not (folder / "handler.py").is_file():
        raise MissingFunctionCode(f"function {spec.logical!r} has no code: expected {folder}/handler.py")
    files = assets.source_files(FUNCTIONS_DIR / "__init__.py", folder)
    return assets.staged_copy("functions", spec.folder, files, relative_to=PROJECT_ROOT)


def image_context(spec: FunctionSpec) -> Path:
    """The Docker build context of an image function, staged under .build/images.

    Only what its Dockerfile copies: the layer locks, the function's folder and
    the shared code, never the virtualenv or cdk.out. Staging needs no Docker;
    the image is built when `cdk deploy` publishes the asset.
    """
    folder = FUNCTIONS_DIR / spec.folder
    if not (folder / "handler.py").is_file() or not (folder / "Dockerfile").is_file():
        raise MissingFunctionCode(f"image function {spec.logical!r} needs {folder}/handler.py and Dockerfile")
    files = assets.source_files(
        FUNCTIONS_DIR / "__init__.py",
        folder,
        layers.SHARED_CODE_DIR,
        *(layers.requirements_file(name) for name in IMAGE_LAYER_LOCKS),
    )
    return assets.staged_copy("images", spec.folder, files, relative_to=PROJECT_ROOT)
