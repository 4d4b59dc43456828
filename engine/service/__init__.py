"""The decision service (issue 23): the engine over HTTP for a CRM, an ERP or an order system.
``app`` is the FastAPI application, ``tokens`` its API tokens, ``deadline`` its per-request
timeout, ``access_log`` its log of requests; ``sales-expert serve`` runs it."""
