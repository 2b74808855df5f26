"""Composition of the constructs into the stack of one environment, and who may touch what.

One stack per environment: the local cloud resolves references inside a single
template, a deploy is atomic, and there are no cross-stack exports to pin
resources in place. Stateful resources are protected by their removal policy
(RETAIN and deletion protection in prod) and by stack termination protection,
rather than by living in a separate stack.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import App, Duration, Environment, Stack, Tags
from constructs import Construct

from infra.config import (
    BUNDLE_CONTEXT_KEY,
    ENV_CONTEXT_KEY,
    ENVIRONMENTS_CONTEXT_KEY,
    PROJECT_ROOT,
    Access,
    EnvironmentConfig,
    environment_config,
)
from infra.constructs.api import RestApi
from infra.constructs.auth import Auth
from infra.constructs.backtests import BacktestWorkflow
from infra.constructs.functions import Functions, Layers
from infra.constructs.keys import DataKey
from infra.constructs.market_data import MarketData
from infra.constructs.observability import Observability
from infra.constructs.storage import Storage
from infra.constructs.tables import Tables
from infra.constructs.web_hosting import WebHosting
from infra.constructs.websocket import WebSocketApi
from infra.nag import attach_checks
from tradewind.resources import APP, BACKTEST_STATE_MACHINE, FUNCTIONS, PUBLIC_API_ROUTES, physical_name

WEB_DIR_CONTEXT_KEY = "tradewind:web_dir"

# Least privilege, in one place: which function may use which table and bucket.
TABLE_ACCESS: dict[str, dict[str, Access]] = {
    "api": {
        "accounts": "read_write",
        "strategies": "read_write",
        "runs": "read_write",
        "ledger": "read_write",
        "orders": "read",
        "positions": "read",
        "idempotency": "read_write",
    },
    "ws-connect": {"connections": "write"},
    # Disconnect queries the socket's subscriptions to delete them; broadcasts drop gone sockets.
    "ws-disconnect": {"connections": "read_write"},
    "ws-default": {"connections": "read_write"},
    "market-data-consumer": {"market-state": "read_write", "connections": "read_write"},
    "backtest-task": {"runs": "read_write", "strategies": "read"},
    "backtest-worker": {"runs": "read_write"},
    # Deposits, refunds and payouts post to the ledger; audit records live in `accounts`.
    "payments-webhook": {"ledger": "read_write", "accounts": "read_write"},
}
BUCKET_ACCESS: dict[str, dict[str, Access]] = {
    "api": {"reports": "read"},
    "market-data-consumer": {"market-lake": "write"},
    "backtest-worker": {"market-lake": "read", "reports": "read_write"},
}
# Functions that push to WebSocket clients.
PUSHERS = ("ws-default", "market-data-consumer")
# Functions that need the user pool's ids (token verification, the user directory).
USER_POOL_CLIENTS = ("api", "ws-authorizer")
# How long Step Functions waits for a task beyond the function's own timeout.
_TASK_TIMEOUT_MARGIN_S = 30


class TradewindStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, bundle: bool, web_dir: Path
    ) -> None:
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
        self.storage = Storage(self, "Storage", config=config, key=data_key.key)
        self.market_data = MarketData(self, "MarketData", config=config, key=data_key.key)
        self.auth = Auth(self, "Auth", config=config)
        self.functions = Functions(
            self, "Functions", config=config, layer_set=Layers(self, "Layers", config=config, bundle=bundle)
        )
        fn = self.functions

        self.market_data.connect_consumer(fn["market-data-consumer"])
        self.backtests = BacktestWorkflow(
            self,
            "Backtests",
            config=config,
            task_function=fn["backtest-task"],
            task_timeout=Duration.seconds(FUNCTIONS["backtest-task"].timeout_s + _TASK_TIMEOUT_MARGIN_S),
            worker_function=fn["backtest-worker"],
            worker_timeout=Duration.seconds(FUNCTIONS["backtest-worker"].timeout_s + _TASK_TIMEOUT_MARGIN_S),
        )
        self.rest_api = RestApi(
            self,
            "RestApi",
            config=config,
            handler=fn["api"],
            public_handlers={logical: fn[logical] for logical in set(PUBLIC_API_ROUTES.values())},
            user_pool=self.auth.user_pool,
        )
        self.websocket = WebSocketApi(
            self,
            "WebSocket",
            config=config,
            authorizer=fn["ws-authorizer"],
            on_connect=fn["ws-connect"],
            on_disconnect=fn["ws-disconnect"],
            on_message=fn["ws-default"],
        )
        self.web = WebHosting(
            self,
            "Web",
            config=config,
            bucket=self.storage["web"],
            log_bucket=self.storage.access_logs,
            web_dir=web_dir,
        )
        self._grant()
        self._observe(config, data_key)

    def _grant(self) -> None:
        fn = self.functions
        for logical, tables in TABLE_ACCESS.items():
            for table, access in tables.items():
                self.tables.grant(table, fn[logical], access)
        for logical, buckets in BUCKET_ACCESS.items():
            for bucket, access in buckets.items():
                self.storage.grant(bucket, fn[logical], access)
        self.websocket.allow_push(*(fn[logical] for logical in PUSHERS))
        fn.add_environment(USER_POOL_CLIENTS, "TRADEWIND_USER_POOL_ID", self.auth.user_pool.user_pool_id)
        fn.add_environment(USER_POOL_CLIENTS, "TRADEWIND_USER_POOL_CLIENT_ID", self.auth.spa_client.user_pool_client_id)
        self.auth.grant_directory_read(fn["api"])
        # The ARN is derivable from stage, account and region, like table names: no variable.
        self.backtests.state_machine.grant_start_execution(fn["api"])

    def _observe(self, config: EnvironmentConfig, data_key: DataKey) -> None:
        data_key.allow_service("cloudwatch.amazonaws.com")
        observability = Observability(self, "Observability", config=config, key=data_key.key)
        observability.watch_dead_letters(self.market_data.dead_letters)
        for logical, function in self.functions.by_logical.items():
            observability.watch_function(logical, function)
        observability.watch_stream_consumer("market-data-consumer", self.functions["market-data-consumer"])
        observability.watch_state_machine(BACKTEST_STATE_MACHINE.logical, self.backtests.state_machine)
        observability.watch_rest_api(self.rest_api.api)


def stack_name(config: EnvironmentConfig) -> str:
    return physical_name(config.stage, "app")


def build_app(app: App) -> TradewindStack:
    """The environment selected by `-c env=...`, with cdk-nag attached: shared by app.py and infra.synth."""
    config = environment_config(
        app.node.try_get_context(ENVIRONMENTS_CONTEXT_KEY), str(app.node.try_get_context(ENV_CONTEXT_KEY) or "dev")
    )
    bundle = str(app.node.try_get_context(BUNDLE_CONTEXT_KEY)).lower() != "false"
    web_dir = Path(app.node.try_get_context(WEB_DIR_CONTEXT_KEY) or PROJECT_ROOT / "web")
    attach_checks(app)
    return TradewindStack(app, stack_name(config), config=config, bundle=bundle, web_dir=web_dir)
