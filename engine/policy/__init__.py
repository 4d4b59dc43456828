"""The policy workbench (issue 21): change thresholds safely, see the impact before it goes live.

Modules: ``change`` (a ``PolicyChange``: parameter values and rules switched off, from an
overlay file or a draft), ``simulate`` (a book through today's policy and a changed one,
``tally`` and ``outcomes`` fold the figures, ``simulate_text`` tells them in English or
Chinese); the drafts kept in the audit database are ``model``, ``storage``, ``checks``,
``golden``, ``drafts`` and ``render``.

Nothing is imported here: the drafts' modules are loaded by the audit database's users, the
simulation's by its callers, and neither should pay for the other.
"""
