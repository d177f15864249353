"""Training data from the lake: named columns of one dataset version, with lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from strata.lake.lake import Lake
from strata.lake.names import DatasetRef
from strata.train.errors import InvalidTrainingData
from strata.train.spec import ColumnsRef


@dataclass(frozen=True)
class DataVersion:
    """Which dataset version a model was trained or evaluated on, and how."""

    dataset: str
    version: int
    columns: tuple[str, ...]
    role: str
    rows: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (stored in the model's details for lineage)."""
        return {
            "dataset": self.dataset,
            "version": self.version,
            "columns": list(self.columns),
            "role": self.role,
            "rows": self.rows,
        }


def read_columns(lake: Lake, ref: ColumnsRef, role: str) -> tuple[pd.DataFrame, DataVersion]:
    """The rows of a dataset version (all columns when the ref names none)."""
    version = lake.dataset(ref.dataset).version(ref.version).version
    frame: pd.DataFrame = lake.read(DatasetRef(ref.dataset, version)).to_pandas()
    missing = [c for c in ref.columns if c not in frame.columns]
    if missing:
        raise InvalidTrainingData(
            f"Dataset {ref.dataset}@{version} has no column {', '.join(map(repr, missing))}; "
            f"its columns are {', '.join(map(str, frame.columns))}.",
            hint="Name existing columns, e.g. "
            f"{ref.dataset}:{','.join(map(str, frame.columns[:2]))}",
        )
    if frame.empty:
        raise InvalidTrainingData(
            f"Dataset {ref.dataset}@{version} is empty.",
            hint=f"Ingest data first: strata lake ingest FILE --dataset {ref.dataset}",
        )
    columns = ref.columns or tuple(map(str, frame.columns))
    return frame, DataVersion(ref.dataset, version, columns, role, len(frame))


def texts_and_labels(
    frame: pd.DataFrame, text_col: str, label_col: str
) -> tuple[list[str], list[Any]]:
    """Texts as strings and labels as strings (multi-class) or lists of strings (multi-label)."""
    texts = [str(t) for t in frame[text_col].tolist()]
    raw = frame[label_col].tolist()
    if raw and all(hasattr(v, "__iter__") and not isinstance(v, str) for v in raw):
        return texts, [sorted(str(x) for x in v) for v in raw]
    return texts, [str(v) for v in raw]
