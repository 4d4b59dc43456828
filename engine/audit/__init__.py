"""The audit trail: every consultation and every manager's final decision, recorded once,
chained by hashes, signed with a key the database does not hold, replayable under the rule-base
version that produced it.

    config.py    settings from the environment and ``sales-expert.toml``
    models.py    the tables (SQLAlchemy Core) and the schema version / upgrades
    backends.py  opening SQLite (a private file) or PostgreSQL, set up for serialised appends
    chain.py     canonical JSON, record formats and the record hash chain
    keys.py      the keyring outside the database: HMACs of records and anchors, rotation
    files.py     private (0600) files: created so, written whole, loose modes found
    records.py   what a record holds and how it is derived from a consultation
    decisions.py a manager's final decision: recommendation, override, mandatory reason
    store.py     ``AuditStore``: append (serialised, signed), read, filter
    verify.py    walking the chain: the first record altered, removed, reordered or unsigned
    protection.py  the HMAC checks of the walk and the protection counts
    anchor.py    the signed head kept outside the database; truncation and rewrites
    findings.py  what verify reports (problem kinds, protection, anchor, file warnings)
    reports.py   statistics and CSV/JSON export
    snapshots.py the rule base stored once per version, and engines rebuilt from it
    replay.py    re-running a recorded consultation and comparing the results
    recording.py the API's hook: record a consultation where the settings say so

Importing this package does not import SQLAlchemy; ``engine.api`` imports ``recording`` only
when a consultation is to be recorded.
"""
