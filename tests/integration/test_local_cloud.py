"""`tradewind local` end to end: the real command in a subprocess, driven over HTTP.

One local cloud runs for the whole module (starting one takes a CDK synth);
the tests share it in file order, and the last ones stop and restart it to
check persistence, a corrupt snapshot and a clean shutdown. Everything talks
to it the way a developer would: HTTP, WebSocket and boto3 on loopback.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import boto3
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from moto.utilities.utils import load_resource
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tradewind.resources import BACKTEST_STATE_MACHINE, BUCKETS, MARKET_DATA_DLQ, MARKET_DATA_STREAM, TABLES

ROOT = Path(__file__).resolve().parents[2]
STAGE = "local"
REGION = "us-east-1"
START_TIMEOUT_S = 120
T = TypeVar("T")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _eventually(probe: Callable[[], T | None], timeout_s: float = 30, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _children(pid: int) -> set[int]:
    """Direct children of `pid`, from /proc (no psutil needed)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class LocalCloudProcess:
    state_dir: Path
    gateway_port: int
    ws_port: int
    moto_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.state_dir.parent / "local-cloud.log"

    def command(self, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "tradewind.cli.main",
            "local",
            "--state-dir",
            str(self.state_dir),
            "--gateway-port",
            str(self.gateway_port),
            "--ws-port",
            str(self.ws_port),
            "--moto-port",
            str(self.moto_port),
            "--snapshot-interval",
            "1",
            *extra,
        ]

    @staticmethod
    def environment() -> dict[str, str]:
        # Nothing of the test process's AWS or Tradewind configuration leaks in.
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRADEWIND_", "MOTO_", "POWERTOOLS_"))}
        return {**keep, "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1", "LOG_LEVEL": "WARNING"}

    def start(self) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.environment(), stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while "is running" not in self.log.read_text(errors="replace")[offset:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the local cloud did not start:\n{self.log.read_text(errors='replace')[-4000:]}")
            time.sleep(0.2)

    def stop(self) -> tuple[int, set[int]]:
        """SIGTERM, as a terminal or a supervisor would; returns (exit code, children it had)."""
        assert self.process is not None
        children = _children(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self.process = None
        return code, children

    def run_to_exit(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*extra),
            cwd=ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    @property
    def credentials(self) -> dict[str, Any]:
        return dict(json.loads((self.state_dir / "demo-credentials.json").read_text()))

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}/v1"

    def aws(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{self.moto_port}",
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


@pytest.fixture(scope="module")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloudProcess]:
    base = tmp_path_factory.mktemp("local-cloud")
    cloud = LocalCloudProcess(base / "state", *_free_ports(3))
    cloud.start()
    yield cloud
    if cloud.process is not None:
        cloud.stop()


def _totp(secret: str) -> str:
    """An independent RFC 6238 implementation (pyotp refuses moto's 56-bit secret)."""
    step = 30
    if step - time.time() % step < 3:
        time.sleep(step - time.time() % step + 0.1)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    return TOTP(key, 6, SHA1(), step, enforce_key_length=False).generate(int(time.time())).decode()


def _sign_in(cloud: LocalCloudProcess, group: str) -> str:
    credentials = cloud.credentials
    user = credentials["users"][group]
    cognito = cloud.aws("cognito-idp")
    auth = cognito.initiate_auth(
        ClientId=credentials["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
    )
    assert auth["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    answer = cognito.respond_to_auth_challenge(
        ClientId=credentials["client_id"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=auth["Session"],
        ChallengeResponses={"USERNAME": user["username"], "SOFTWARE_TOKEN_MFA_CODE": _totp(credentials["totp_secret"])},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


@pytest.fixture(scope="module")
def local_investor_token(local_cloud: LocalCloudProcess) -> str:
    return _sign_in(local_cloud, "investor")


def test_health_is_public(local_cloud: LocalCloudProcess) -> None:
    response = httpx.get(f"{local_cloud.api}/health")
    assert response.status_code == 200
    assert response.json()["stage"] == STAGE


def test_provider_webhooks_bypass_cognito_and_are_judged_by_their_signature(local_cloud: LocalCloudProcess) -> None:
    response = httpx.post(f"{local_cloud.api}/webhooks/pelicanpay", content=b'{"id": "evt-1"}')
    assert response.status_code == 401
    assert response.json()["title"] == "webhook rejected"  # the webhook function's answer, not the gateway's


def test_a_wrong_totp_code_is_refused(local_cloud: LocalCloudProcess) -> None:
    credentials = local_cloud.credentials
    user = credentials["users"]["investor"]
    cognito = local_cloud.aws("cognito-idp")
    auth = cognito.initiate_auth(
        ClientId=credentials["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
    )
    wrong = f"{(int(_totp(credentials['totp_secret'])) + 1) % 1_000_000:06d}"
    with pytest.raises(cognito.exceptions.CodeMismatchException):
        cognito.respond_to_auth_challenge(
            ClientId=credentials["client_id"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=auth["Session"],
            ChallengeResponses={"USERNAME": user["username"], "SOFTWARE_TOKEN_MFA_CODE": wrong},
        )


def test_the_investor_signs_in_with_password_and_totp(
    local_cloud: LocalCloudProcess, local_investor_token: str
) -> None:
    response = httpx.get(f"{local_cloud.api}/me", headers={"Authorization": f"Bearer {local_investor_token}"})
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["email"] == "investor@tradewind.local"
    assert me["groups"] == ["investor"]


def test_the_login_command_prints_a_working_token(local_cloud: LocalCloudProcess) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tradewind.cli.main",
            "local",
            "login",
            "admin",
            "--state-dir",
            str(local_cloud.state_dir),
        ],
        cwd=ROOT,
        check=False,
        env=LocalCloudProcess.environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    response = httpx.get(f"{local_cloud.api}/admin/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def _expired(token: str) -> str:
    """The same claims, expired, signed with the pool's real key (moto ships it): only `exp` is wrong."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 60
    private = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode(claims, private.key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(token)["kid"]})


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "tampered", "expired"],
    ids=["missing", "garbage", "wrong-scheme", "tampered", "expired"],
)
def test_protected_routes_need_a_valid_token(
    local_cloud: LocalCloudProcess, local_investor_token: str, authorization: str | None
) -> None:
    case = authorization or ""
    if authorization == "tampered":
        authorization = f"Bearer {_tampered(local_investor_token)}"
    elif authorization == "expired":
        authorization = f"Bearer {_expired(local_investor_token)}"
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.get(f"{local_cloud.api}/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401
    if "expired" in case:
        # Refused for its expiry alone: the signature, issuer and audience are genuine.
        assert "expired" in response.json()["detail"]


def test_an_investor_is_forbidden_the_admin_routes(local_cloud: LocalCloudProcess, local_investor_token: str) -> None:
    response = httpx.get(f"{local_cloud.api}/admin/users", headers={"Authorization": f"Bearer {local_investor_token}"})
    assert response.status_code == 403
    assert response.json()["status"] == 403


def test_the_websocket_needs_a_token_and_answers_through_the_management_api(
    local_cloud: LocalCloudProcess, local_investor_token: str
) -> None:
    url = local_cloud.credentials["websocket_url"]
    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=10)
    assert refused.value.response.status_code == 401
    with pytest.raises(InvalidStatus):
        connect(f"{url}?token={_tampered(local_investor_token)}", open_timeout=10)
    with connect(f"{url}?token={local_investor_token}", open_timeout=10) as websocket:
        websocket.send(json.dumps({"action": "ping"}))
        assert json.loads(websocket.recv(timeout=10)) == {"type": "pong"}


def _trade(symbol: str, price: str) -> bytes:
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps({"symbol": symbol, "ts": ts, "price": price, "size": "10"}).encode()


def _latest_price(cloud: LocalCloudProcess, symbol: str) -> str | None:
    item = (
        cloud.aws("dynamodb")
        .get_item(
            TableName=TABLES["market-state"].physical(STAGE),
            Key={"pk": {"S": f"SYMBOL#{symbol}"}, "sk": {"S": "LATEST_TRADE"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return None if item is None else str(item["price"]["N"])


def _dead_letters(cloud: LocalCloudProcess) -> list[dict[str, Any]]:
    sqs = cloud.aws("sqs")
    url = sqs.get_queue_url(QueueName=MARKET_DATA_DLQ.physical(STAGE))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_the_consumer_handles_a_batch_and_the_poison_record_goes_to_the_dlq(local_cloud: LocalCloudProcess) -> None:
    kinesis = local_cloud.aws("kinesis")
    stream = MARKET_DATA_STREAM.physical(STAGE)
    # One partition key: the three records share a shard and so a batch.
    records = [
        {"Data": _trade("NVDA", "181.25"), "PartitionKey": "batch"},
        {"Data": b"{not json", "PartitionKey": "batch"},
        {"Data": _trade("AAPL", "230.1"), "PartitionKey": "batch"},
    ]
    put = kinesis.put_records(StreamName=stream, Records=records)
    assert put["FailedRecordCount"] == 0
    poison_sequence = put["Records"][1]["SequenceNumber"]
    assert _eventually(lambda: _latest_price(local_cloud, "NVDA"), what="NVDA in market-state") == "181.25"
    assert _eventually(lambda: _latest_price(local_cloud, "AAPL"), what="AAPL in market-state") == "230.1"
    (failure,) = _eventually(lambda: _dead_letters_from(local_cloud, put), what="the on-failure record")
    batch = failure["KinesisBatchInfo"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert batch["startSequenceNumber"] == poison_sequence
    assert batch["shardId"] == put["Records"][1]["ShardId"]
    assert batch["streamArn"].endswith(f":stream/{stream}")


def _dead_letters_from(cloud: LocalCloudProcess, put: dict[str, Any]) -> list[dict[str, Any]]:
    """On-failure records starting at one of the records of a PutRecords answer (sequence numbers are per shard)."""
    starts = {(r["ShardId"], r["SequenceNumber"]) for r in put["Records"]}
    return [
        failure
        for failure in _dead_letters(cloud)
        if (failure["KinesisBatchInfo"]["shardId"], failure["KinesisBatchInfo"]["startSequenceNumber"]) in starts
    ]


def test_a_batch_that_fails_whole_is_bisected_down_to_each_bad_record(local_cloud: LocalCloudProcess) -> None:
    # Every record fails, so the consumer raises: a function error, which the mapping bisects.
    put = local_cloud.aws("kinesis").put_records(
        StreamName=MARKET_DATA_STREAM.physical(STAGE),
        Records=[{"Data": b"{bad one", "PartitionKey": "bisect"}, {"Data": b"{bad two", "PartitionKey": "bisect"}],
    )
    failures = _eventually(
        lambda: (found := _dead_letters_from(local_cloud, put)) and len(found) == 2 and found,
        what="one on-failure record per bad record",
    )
    assert {f["KinesisBatchInfo"]["batchSize"] for f in failures} == {1}
    assert {f["responseContext"].get("functionError") for f in failures} == {"Unhandled"}


def _execution(cloud: LocalCloudProcess, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = cloud.aws("stepfunctions")
    name = BACKTEST_STATE_MACHINE.physical(STAGE)
    (machine,) = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name]
    started = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], name=f"test-{uuid.uuid4().hex}", input=json.dumps(payload)
    )

    def finished() -> dict[str, Any] | None:
        described: dict[str, Any] = sfn.describe_execution(executionArn=started["executionArn"])
        return None if described["status"] == "RUNNING" else described

    return _eventually(finished, what="the execution to finish")


BACKTEST_REQUEST = {
    "strategy_id": "rsi-reversal",
    "strategy": json.loads((ROOT / "examples/strategies/rsi_reversal.json").read_text()),
    "symbols": ["NVDA"],
    "timeframe": "1d",
    "start": "2010-01-01",
    "end": "2013-12-31",
    # 8 random parameter sets in chunks of 3: three worker invocations in the Distributed Map.
    "sweep": {"method": "random", "samples": 8, "seed": 5, "chunk_size": 3},
}


def _run_record(cloud: LocalCloudProcess, run_id: str) -> dict[str, Any]:
    item = cloud.aws("dynamodb").get_item(
        TableName=TABLES["runs"].physical(STAGE), Key={"pk": {"S": f"RUN#{run_id}"}, "sk": {"S": "RUN"}}
    )["Item"]
    return dict(json.loads(item["record"]["S"]))


def test_the_backtest_workflow_sweeps_in_chunks_and_records_the_report(local_cloud: LocalCloudProcess) -> None:
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    execution = _execution(local_cloud, {**BACKTEST_REQUEST, "run_id": run_id})
    assert execution["status"] == "SUCCEEDED", execution
    output = json.loads(execution["output"])
    assert output["result"] == {"run_id": run_id, "status": "succeeded", "report_key": f"runs/{run_id}/report.json"}
    assert len(output["load"]["chunks"]) == 3
    record = _run_record(local_cloud, run_id)
    assert record["status"] == "succeeded" and record["report_key"] == f"runs/{run_id}/report.json"
    assert record["metrics"]["evaluated"] == 8 and "deflated_sharpe" in record["metrics"]
    s3 = local_cloud.aws("s3")
    bucket = BUCKETS["reports"].physical(STAGE, "000000000000")
    report = json.loads(s3.get_object(Bucket=bucket, Key=record["report_key"])["Body"].read())
    assert report["evaluated"] == 8 and report["best_params"] == record["metrics"]["best_params"]
    assert report["backtest"]["sharpe"] == record["metrics"]["sharpe"]
    html = s3.get_object(Bucket=bucket, Key=f"runs/{run_id}/report.html")["Body"].read()
    assert b"RSI reversal" in html


def test_a_bad_strategy_fails_the_execution_and_the_run_is_recorded_failed(local_cloud: LocalCloudProcess) -> None:
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    strategy = {**BACKTEST_REQUEST["strategy"], "indicators": {}}
    execution = _execution(local_cloud, {**BACKTEST_REQUEST, "run_id": run_id, "strategy": strategy})
    assert execution["status"] == "FAILED"
    assert execution["error"] == "InvalidRunRequestError"
    record = _run_record(local_cloud, run_id)
    assert record["status"] == "failed"
    assert record["error"].startswith("InvalidRunRequestError: strategy:")
    assert execution["cause"] and "strategy" in execution["cause"]


def test_an_unreadable_request_fails_by_the_error_name(local_cloud: LocalCloudProcess) -> None:
    execution = _execution(local_cloud, {**BACKTEST_REQUEST, "run_id": "bad id!"})
    assert execution["status"] == "FAILED"
    assert execution["error"] == "InvalidRunRequestError"


def test_state_survives_a_restart(local_cloud: LocalCloudProcess) -> None:
    bucket = BUCKETS["reports"].physical(STAGE, "000000000000")
    local_cloud.aws("s3").put_object(Bucket=bucket, Key="restart/check.txt", Body=b"kept")
    dead_letters_before = len(_dead_letters(local_cloud))
    password = local_cloud.credentials["users"]["investor"]["password"]

    code, children = local_cloud.stop()
    assert code == 0
    assert not [pid for pid in children if _alive(pid)], "child processes outlived the local cloud"
    local_cloud.start()

    assert local_cloud.credentials["users"]["investor"]["password"] == password
    token = _sign_in(local_cloud, "investor")
    assert httpx.get(f"{local_cloud.api}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert local_cloud.aws("s3").get_object(Bucket=bucket, Key="restart/check.txt")["Body"].read() == b"kept"
    assert _latest_price(local_cloud, "NVDA") == "181.25"
    # The stream position survived: a new record is consumed, the old poison one is not redelivered.
    local_cloud.aws("kinesis").put_record(
        StreamName=MARKET_DATA_STREAM.physical(STAGE), Data=_trade("NVDA", "182.5"), PartitionKey="batch"
    )
    assert _eventually(lambda: _latest_price(local_cloud, "NVDA") == "182.5", what="the new trade")
    assert len(_dead_letters(local_cloud)) == dead_letters_before


def test_a_crash_loses_at_most_the_last_snapshot_interval(local_cloud: LocalCloudProcess) -> None:
    bucket = BUCKETS["reports"].physical(STAGE, "000000000000")
    snapshot = local_cloud.state_dir / "snapshot.pickle"
    local_cloud.aws("s3").put_object(Bucket=bucket, Key="crash/check.txt", Body=b"saved")
    written = time.time()
    # Two periodic snapshots later, one of them certainly began after the write.
    first = _eventually(lambda: (m := snapshot.stat().st_mtime) > written and m, what="a periodic snapshot")
    _eventually(lambda: snapshot.stat().st_mtime > first, what="another periodic snapshot")
    assert local_cloud.process is not None
    local_cloud.process.kill()
    local_cloud.process.wait(timeout=30)
    local_cloud.start()
    assert local_cloud.aws("s3").get_object(Bucket=bucket, Key="crash/check.txt")["Body"].read() == b"saved"


def test_a_busy_port_is_a_one_line_error(local_cloud: LocalCloudProcess) -> None:
    # The running cloud holds these ports.
    result = LocalCloudProcess(
        local_cloud.state_dir.parent / "other", *_free_ports(1), local_cloud.ws_port, 1
    ).run_to_exit()
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--ws-port" in result.stderr


def test_a_corrupt_snapshot_is_a_clear_error_not_a_wipe(local_cloud: LocalCloudProcess) -> None:
    code, _ = local_cloud.stop()
    assert code == 0
    snapshot = local_cloud.state_dir / "snapshot.pickle"
    snapshot.write_bytes(b"\x80\x05garbage")
    result = local_cloud.run_to_exit()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "--fresh" in result.stderr
    assert snapshot.read_bytes() == b"\x80\x05garbage"


def test_login_says_when_the_local_cloud_is_not_running(local_cloud: LocalCloudProcess) -> None:
    assert local_cloud.process is None
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tradewind.cli.main",
            "local",
            "login",
            "investor",
            "--state-dir",
            str(local_cloud.state_dir),
        ],
        cwd=ROOT,
        check=False,
        env=LocalCloudProcess.environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "not running" in result.stderr
