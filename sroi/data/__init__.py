"""Data: loading (CSV, Parquet, Excel), validation, and the synthetic sample generator."""

from sroi.data.loading import EvaluationData, file_hash, load_evaluation_data, read_table
from sroi.data.validation import Exclusions, validate_panel

__all__ = [
    "EvaluationData",
    "Exclusions",
    "file_hash",
    "load_evaluation_data",
    "read_table",
    "validate_panel",
]
