"""Disclosure control: what each requester may see, the defences against membership
inference, differentially private releases and the budget ledgers that make them hold across
requests, restarts and accounts, and the protection of published tables (see docs/beacon.md
and docs/survey.md)."""
