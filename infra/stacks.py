"""Composition of the constructs into the stack of one environment.

One stack per environment: the local cloud resolves references inside a single
template, a deploy is atomic, and there are no cross-stack exports to lock
resources in place. Stateful resources are protected by their removal policy
(RETAIN in prod) rather than by living in a separate stack.
"""

from __future__ import annotations

from aws_cdk import App, Duration, Environment, Stack, Tags
from constructs import Construct

from infra.config import (
    BUNDLE_CONTEXT_KEY,
    ENV_CONTEXT_KEY,
    ENVIRONMENTS_CONTEXT_KEY,
    EnvironmentConfig,
    environment_config,
)
from infra.constructs.backtests import BacktestWorkflow
from infra.constructs.functions import Functions, Layers
from infra.constructs.keys import DataKey
from infra.constructs.market_data import MarketData
from infra.constructs.tables import Tables
from infra.nag import attach_checks
from tradewind.resources import APP, FUNCTIONS, physical_name

# How long Step Functions waits for a task beyond the function's own timeout.
_TASK_TIMEOUT_MARGIN_S = 30


class TradewindStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, bundle: bool) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=config.region),
            description=f"Tradewind trading platform ({config.stage})",
            termination_protection=config.retain_data,
        )
        Tags.of(self).add("app", APP)
        Tags.of(self).add("stage", config.stage)

        data_key = DataKey(self, "DataKey", config=config)
        self.tables = Tables(self, "Tables", config=config, key=data_key.key)
        self.market_data = MarketData(self, "MarketData", config=config, key=data_key.key)
        self.functions = Functions(
            self, "Functions", config=config, layer_set=Layers(self, "Layers", config=config, bundle=bundle)
        )
        self.market_data.connect_consumer(self.functions["market-data-consumer"])
        self.backtests = BacktestWorkflow(
            self,
            "Backtests",
            config=config,
            task_function=self.functions["backtest-task"],
            task_timeout=Duration.seconds(FUNCTIONS["backtest-task"].timeout_s + _TASK_TIMEOUT_MARGIN_S),
        )


def stack_name(config: EnvironmentConfig) -> str:
    return physical_name(config.stage, "app")


def build_app(app: App) -> TradewindStack:
    """The environment selected by `-c env=...`, with cdk-nag attached: shared by app.py and infra.synth."""
    config = environment_config(
        app.node.try_get_context(ENVIRONMENTS_CONTEXT_KEY), str(app.node.try_get_context(ENV_CONTEXT_KEY) or "dev")
    )
    bundle = str(app.node.try_get_context(BUNDLE_CONTEXT_KEY)).lower() != "false"
    attach_checks(app)
    return TradewindStack(app, stack_name(config), config=config, bundle=bundle)
