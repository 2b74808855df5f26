"""Money in and out: PelicanPay deposits and withdrawals, webhooks, schedules, reconciliation.

The ledger is the book of record; a provider's word only ever moves money through
ledger transfers whose ids are derived from the provider event, so every effect
happens exactly once however often or in whatever order events arrive.
"""
