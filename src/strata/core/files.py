"""Reading a user's CSV: a missing file or column is a clear error, not a trace."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from strata.core.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd


def read_csv_columns(path: Path, columns: Sequence[str], option: str, what: str) -> pd.DataFrame:
    """The CSV at `path` as strings, checked to hold `columns`.

    Errors name the file, what it lacks, and the option (`option`, e.g. `--data`) to fix; `what`
    says what the file should be ("a CSV of labelled prompts").
    """
    import pandas as pd

    if not path.is_file():
        raise InvalidInput(f"{path} does not exist.", hint=f"Pass {option} with {what}.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"{path} is not a readable CSV: {exc}", hint="Save it as UTF-8 CSV with a header row."
        ) from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{path} has no column {', '.join(map(repr, missing))}; it has {list(frame.columns)}.",
            hint="Name existing columns with the command's column options (--text-col, ...).",
        )
    return frame
