"""Attacks on the node's own defences, simulated: membership inference against the Beacon and
tracing against released allele frequencies (docs/security.md T1–T5).

They drive the services through their real code paths and ledgers and leave nothing behind;
nothing in the services imports them. ``hgr beacon attack-sim`` and ``tracing-sim`` run them,
and the tests hold the defences to their targets with them.
"""
