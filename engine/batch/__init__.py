"""Batch runs over a customer book (CSV or Parquet): see ``runner``."""

from engine.batch.mapping import OUTPUT_COLUMNS, input_columns
from engine.batch.runner import BatchOptions, Summary, run_batch

__all__ = ["OUTPUT_COLUMNS", "BatchOptions", "Summary", "input_columns", "run_batch"]
