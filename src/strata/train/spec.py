"""Training job specs, typed and validated when built: adapt (L0 -> L1) and tune (-> L2)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from strata.models.gates import parse_gate
from strata.models.refs import check_name, parse_ref
from strata.train.errors import InvalidJobSpec

_DATA = re.compile(r"^(?P<dataset>[a-z0-9][a-z0-9_-]*)(?:@(?P<version>\d+))?(?::(?P<cols>.+))?$")


@dataclass(frozen=True)
class ColumnsRef:
    """`DATASET[@N]:COL[,COL...]`: columns of one dataset version (latest when no @N)."""

    dataset: str
    version: int | None
    columns: tuple[str, ...]

    def __str__(self) -> str:
        version = f"@{self.version}" if self.version is not None else ""
        return f"{self.dataset}{version}:{','.join(self.columns)}"


def parse_columns(text: str, count: int | None, what: str) -> ColumnsRef:
    """Parse a data argument; `count` columns are required when given (None: any, even none)."""
    match = _DATA.match(text.strip())
    columns = (
        tuple(c.strip() for c in (match.group("cols") or "").split(",") if c.strip())
        if match
        else ()
    )
    if not match or (count is not None and len(columns) != count):
        shape = ",".join(["COL"] * count) if count else "COL,..."
        raise InvalidJobSpec(
            f"{what} {text!r} is not valid; expected DATASET[@VERSION]:{shape}.",
            hint=f"For example {what.lower()} banking-requests@1:"
            + ",".join(["text", "category"][: count or 1]),
            value=text,
        )
    version = match.group("version")
    return ColumnsRef(match.group("dataset"), int(version) if version else None, columns)


class JobSpec(BaseModel):
    """Fields every training job has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str | None = Field(None, description="Reference of the model trained on (l0/minilm-l6).")
    name: str = Field(description="Name of the model produced.")
    seed: int = Field(0, ge=0, description="Seed for splits, sampling and initialisation.")

    @field_validator("base")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value is not None:
            parse_ref(value)
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)

    # Fields added after specs were first keyed: left out of the key while unset, so a model
    # built before they existed is still found (and not rebuilt) by the same command.
    _KEYED_WHEN_SET: ClassVar[tuple[str, ...]] = ()

    def key(self, **resolved: Any) -> str:
        """A hash of the spec and what it resolved to: same key, same model (re-runs are no-ops)."""
        spec = self.model_dump()
        for name in self._KEYED_WHEN_SET:
            if spec.get(name) is None:
                spec.pop(name, None)
        payload = json.dumps({"spec": spec, **resolved}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()


class TuneSpec(JobSpec):
    """`strata train tune`: an L2 scenario model on a base encoder (classify) or on telemetry."""

    task: Literal["classify", "anomaly"] = "classify"
    data: str = Field(description="DATASET[@N]:TEXT,LABEL for classify; DATASET[@N] for anomaly.")
    shots: int | None = Field(None, description="Examples per label to train on (few-shot).")
    mode: Literal["fast", "body"] | None = Field(None, description="Classifier training path.")
    label_names: bool = Field(True, description="Use label names as extra examples.")
    epochs: int | None = Field(None, ge=1, description="Body tuning: passes over the examples.")
    max_length: int | None = Field(None, ge=8, le=512, description="Tokens kept per text.")
    lexical: Literal["auto", "on", "off"] | None = Field(
        None, description="Classifier: TF-IDF terms in the head (auto: CV chooses; on; off)."
    )
    val_fraction: float = Field(0.2, gt=0, lt=0.5, description="Validation share, fixed seed.")
    features: tuple[str, ...] = Field((), description="Anomaly: numeric feature columns.")
    time_col: str | None = Field(None, description="Anomaly: column ordering the rows.")
    group_col: str | None = Field(None, description="Anomaly: one model per value (machine).")
    label_col: str | None = Field(
        None, description="Anomaly: 0/1 column; rows marked 1 are left out."
    )
    train_rows: int | None = Field(
        None, ge=10, description="Anomaly: per group, the first N rows train, the rest validate."
    )
    threshold_margin: float | None = Field(
        None,
        gt=0,
        le=10,
        description="Anomaly: factor on the calibrated threshold (default 0.9; above 1: fewer "
        "alarms, more misses).",
    )
    gates: tuple[str, ...] = Field((), description="Thresholds to pass for promotion.")

    _KEYED_WHEN_SET: ClassVar[tuple[str, ...]] = ("lexical", "threshold_margin")

    @field_validator("gates")
    @classmethod
    def _gates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(parse_gate(g)) for g in value)

    @model_validator(mode="after")
    def _task_fields(self) -> TuneSpec:
        if self.task == "classify":
            parse_columns(self.data, 2, "--data")
            if self.base is None:
                raise InvalidJobSpec(
                    "A classifier needs --base, the encoder it is tuned on.",
                    hint="For example --base l0/minilm-l6, or an L1 such as l1/finance.",
                )
            if self.threshold_margin is not None:
                raise InvalidJobSpec(
                    f"--threshold-margin {self.threshold_margin} applies to anomaly detectors; "
                    "a classifier has no such threshold.",
                    hint="Drop --threshold-margin, or pass --task anomaly.",
                )
            if self.shots is not None and self.shots < 2:
                raise InvalidJobSpec(
                    f"--shots {self.shots} is too few: a label needs at least 2 examples.",
                    hint="Pass --shots 2 or more (8 is a good start), or omit it to use all data.",
                )
        elif not self.features:
            raise InvalidJobSpec(
                "An anomaly detector needs --features (the numeric columns to watch).",
                hint="For example --features Accelerometer1RMS,Current --time-col datetime",
            )
        return self

    def columns(self) -> ColumnsRef:
        """The data reference, parsed."""
        return parse_columns(self.data, 2 if self.task == "classify" else None, "--data")


class AdaptSpec(JobSpec):
    """`strata train adapt`: an L1 industry encoder from an L0 on the industry's data."""

    corpus: str | None = Field(None, description="DATASET[@N]:TEXT, unlabelled industry text.")
    labels: str | None = Field(None, description="DATASET[@N]:TEXT,LABEL, pooled labelled data.")
    pairs: str | None = Field(None, description="DATASET[@N]:A,B, related text pairs.")
    epochs: int = Field(1, ge=1, le=20, description="Passes over the training pairs.")
    batch_size: int = Field(32, ge=4, le=512, description="Pairs per step (in-batch negatives).")
    learning_rate: float = Field(2e-5, gt=0, lt=1e-2, description="AdamW learning rate.")
    max_pairs: int = Field(20000, ge=10, description="Cap on training pairs per source.")

    @model_validator(mode="after")
    def _some_data(self) -> AdaptSpec:
        if self.base is None:
            raise InvalidJobSpec(
                "Adapting needs --base, the L0 encoder to start from.",
                hint="For example --base l0/minilm-l6.",
            )
        if not (self.corpus or self.labels or self.pairs):
            raise InvalidJobSpec(
                "Adapting needs data: give --corpus, --labels or --pairs (one or more).",
                hint="For example --corpus requests:text --labels requests:text,intent",
            )
        for text, count, what in (
            (self.corpus, 1, "--corpus"),
            (self.labels, 2, "--labels"),
            (self.pairs, 2, "--pairs"),
        ):
            if text:
                parse_columns(text, count, what)
        return self
