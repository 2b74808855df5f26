"""Ledger errors: each one is a refusal that left every balance untouched."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every refusal by the ledger."""


class InvalidTransferError(LedgerError):
    """The transfer is malformed: unbalanced, unknown account, wrong currency, too many legs."""


class AccountNotFoundError(LedgerError):
    def __init__(self, account_id: str) -> None:
        super().__init__(f"account {account_id!r} does not exist")
        self.account_id = account_id


class AccountConflictError(LedgerError):
    """An account id is already taken by an account with different attributes."""


class InsufficientFundsError(LedgerError):
    def __init__(self, account_id: str) -> None:
        super().__init__(f"account {account_id!r} has insufficient available funds")
        self.account_id = account_id


class TransferConflictError(LedgerError):
    """The transfer id was already used for a transfer with different content."""

    def __init__(self, transfer_id: str) -> None:
        super().__init__(f"transfer id {transfer_id!r} was already used with different content")
        self.transfer_id = transfer_id


class PendingNotOpenError(LedgerError):
    """The pending transfer was already posted, voided or expired, or is not a pending transfer."""

    def __init__(self, pending_id: str, state: str) -> None:
        super().__init__(f"pending transfer {pending_id!r} is {state}")
        self.pending_id = pending_id
        self.state = state


class TransferNotFoundError(LedgerError):
    def __init__(self, transfer_id: str) -> None:
        super().__init__(f"transfer {transfer_id!r} does not exist")
        self.transfer_id = transfer_id
