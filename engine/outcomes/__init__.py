"""Outcomes: what really happened after a consultation, recorded in the audit trail so that the
product's advice can be measured against it (issue 20).

    model.py     the outcome (pydantic, strict): module, outcome kind, observation date, the
                 amounts each kind needs, the link to a consultation; checked without a database
    records.py   linking an outcome to its consultation and building its audit record (kind
                 ``outcome``, same chain, same HMAC), the content fingerprint that makes an
                 import idempotent
    table.py     reading an outcomes file (CSV or Parquet) within limits, cells typed
    importer.py  ``sales-expert outcomes import``: rows in chunks, bad rows to an errors file
    text.py      outcomes told in English or Chinese (``texts/<lang>/outcomes.yaml``)

Importing this package imports nothing; ``engine.audit.store`` imports ``records`` (which does
not import the store back).
"""
