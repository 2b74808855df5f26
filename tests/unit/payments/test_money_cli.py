"""`tradewind money ...` on in-memory services: output, exit codes, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.unit.payments.conftest import cash
from tradewind.cli import money as money_cli
from tradewind.cli.main import main
from tradewind.funds.models import PoolRequest
from tradewind.payments.wiring import MoneyServices

Fund = Callable[[str, int], None]


@pytest.fixture(autouse=True)
def in_memory(money: MoneyServices, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(money_cli, "_services", lambda: money)


def test_balance_and_statement(funded: Fund, capsys: pytest.CaptureFixture[str]) -> None:
    funded("alice", 1_234)
    assert main(["money", "balance", cash("alice")]) == 0
    assert json.loads(capsys.readouterr().out)["posted"] == 1_234
    assert main(["money", "statement", cash("alice"), "--from", "2026-03-01", "--to", "2026-03-03"]) == 0
    statement = json.loads(capsys.readouterr().out)
    assert (statement["opening"], statement["closing"]) == (0, 1_234)


def test_run_due_value_and_reconcile(money: MoneyServices, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["money", "run-due", "--at", "2026-03-02T10:00:00"]) == 0
    assert json.loads(capsys.readouterr().out)["scheduled_payments"] == []
    money.funds.open_pool(PoolRequest(id="p1", strategy_id="s1", currency="USD"))
    assert main(["money", "value", "p1", "--positions", "0", "--at", "2026-03-03T00:00:00Z"]) == 0
    assert json.loads(capsys.readouterr().out)["nav"] == "1.0000000000"
    assert main(["money", "reconcile", "--from", "2026-03-01", "--to", "2026-03-03"]) == 0


def test_refusals_are_one_line_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["money", "balance", "cash.nobody.USD"]) == 2
    assert capsys.readouterr().err == "tradewind: error: account 'cash.nobody.USD' does not exist\n"
    assert main(["money", "value", "nope", "--positions", "0"]) == 2
    assert capsys.readouterr().err == "tradewind: error: unknown pool 'nope'\n"
    with pytest.raises(SystemExit) as bad_date:
        main(["money", "statement", cash("alice"), "--from", "yesterday", "--to", "2026-03-03"])
    assert bad_date.value.code == 2
