"""Referred credit requests (issue 22): the queue a credit manager works through, and the second
approval a decision above the decider's authority needs (``engine.audit.authority``)."""
