"""The audit trail: every consultation and every manager's final decision, recorded once,
chained by hashes, replayable under the rule-base version that produced it.

    config.py    settings from the environment and ``sales-expert.toml``
    models.py    the tables (SQLAlchemy Core) and the schema version / upgrades
    chain.py     canonical JSON and the record hash chain
    records.py   what a record holds and how it is derived from a consultation
    decisions.py a manager's final decision: recommendation, override, mandatory reason
    store.py     ``AuditStore``: append (serialised), read, filter
    verify.py    walking the chain: the first record altered, removed or reordered
    reports.py   statistics and CSV/JSON export
    snapshots.py the rule base stored once per version, and engines rebuilt from it
    replay.py    re-running a recorded consultation and comparing the results
    recording.py the API's hook: record a consultation where the settings say so

Importing this package does not import SQLAlchemy; ``engine.api`` imports ``recording`` only
when a consultation is to be recorded.
"""
