"""Double-entry ledger: accounts, balanced idempotent transfers, two-phase holds, statements.

Amounts are integers in the currency's minor units. A leg's sign is seen from the
account holder's side: positive credits the holder (the platform owes them more),
negative debits them. Every transfer's legs sum to zero per currency, so the sum of
all balances of a currency is always zero and asset accounts (bank, provider
clearing, broker cash) carry negative balances.
"""
