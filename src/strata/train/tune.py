"""`strata train tune`: L2 scenario models on a base, validated on a fixed-seed split."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from strata.compute.base import Job, Resources
from strata.compute.local import cuda_available
from strata.models.layers import Layer, ModelKind, Source
from strata.models.records import ModelRecord
from strata.models.store import TRAINED_BACKENDS, NewModel
from strata.train.assess import evaluate_classifier, evaluate_detector, sort_rows
from strata.train.data import DataVersion, read_columns, texts_and_labels
from strata.train.errors import InvalidJobSpec, InvalidTrainingData
from strata.train.spec import TuneSpec
from strata.train.split import few_shots, stratified_split
from strata.train.workspace import Progress, TrainResult, Workspace, no_progress

if TYPE_CHECKING:
    from strata.train.anomaly import AnomalyOptions


def tune(ws: Workspace, spec: TuneSpec, progress: Progress = no_progress) -> TrainResult:
    """Train (or, when the same job already ran, find) an L2 model and evaluate it."""
    if spec.task == "classify":
        return _tune_classifier(ws, spec, progress)
    return _tune_detector(ws, spec, progress)


def _details(spec: TuneSpec, key: str, data: DataVersion, **extra: Any) -> dict[str, Any]:
    return {
        "job_key": key,
        "spec": spec.model_dump(mode="json"),
        "data": [data.to_dict()],
        "gates": list(spec.gates),
        **extra,
    }


def _finish(
    ws: Workspace, record: ModelRecord, report: dict[str, Any], created: bool
) -> TrainResult:
    record = ws.store.set_metrics(record.ref, report["metrics"], report)
    ws.write_card(record)
    return TrainResult(record, created, report)


def _base_encoder(ws: Workspace, ref: str) -> ModelRecord:
    base = ws.store.resolve(ref)
    if base.kind != ModelKind.ENCODER:
        raise InvalidJobSpec(
            f"Base {base.ref} is a {base.kind.value}; an L2 classifier is tuned on an encoder.",
            hint="Pick an encoder as --base, e.g. l0/minilm-l6 or an L1 from `strata train adapt`.",
        )
    return base


def _tune_classifier(ws: Workspace, spec: TuneSpec, progress: Progress) -> TrainResult:
    from strata.train.classify import ClassifyOptions, train_classifier

    assert spec.base is not None  # the spec requires a base for classify
    base = _base_encoder(ws, spec.base)
    columns = spec.columns()
    frame, data = read_columns(ws.lake, columns, "labelled")
    texts, labels = texts_and_labels(frame, *columns.columns)
    train, val = stratified_split(labels, spec.val_fraction, spec.seed)
    if spec.shots:
        train = few_shots(train, labels, spec.shots, spec.seed)
    key = spec.key(base=base.ref, data=data.to_dict())
    val_texts, val_labels = [texts[i] for i in val], [labels[i] for i in val]
    found = ws.store.find_job(Layer.L2_TASK, spec.name, key)
    if found is not None:
        report = found.details.get("evaluation") or evaluate_classifier(
            ws, found.ref, val_texts, val_labels
        )
        return _finish(ws, found, report, created=False)
    options = ClassifyOptions(seed=spec.seed, label_names=spec.label_names)
    overrides: dict[str, Any] = {
        "mode": spec.mode,
        "epochs": spec.epochs,
        "max_length": spec.max_length,
        "lexical": spec.lexical,
    }
    options = replace(options, **{k: v for k, v in overrides.items() if v is not None})
    built = ws.scratch()
    gpus = 1.0 if options.mode == "body" and cuda_available() else 0.0
    facts = ws.engine.run(
        Job(
            f"tune:{spec.name}",
            train_classifier,
            (
                Path(base.uri),
                [texts[i] for i in train],
                [labels[i] for i in train],
                built,
                options,
                progress,
            ),
            resources=Resources(cpus=2, gpus=gpus),
        )
    )
    split = {
        "train": len(train),
        "validation": len(val),
        "seed": spec.seed,
        "val_fraction": spec.val_fraction,
        "shots": spec.shots,
    }
    new = NewModel(
        layer=Layer.L2_TASK,
        name=spec.name,
        kind=ModelKind.CLASSIFIER,
        backend=TRAINED_BACKENDS[ModelKind.CLASSIFIER],
        source=Source.TRAINED,
        uri="",
        parent_id=base.id,
        details=_details(spec, key, data, training=facts, split=split),
    )
    record = ws.store.add_trained(new, built, ws.root)
    progress("evaluate", 0.0)
    report = evaluate_classifier(ws, record.ref, val_texts, val_labels, progress)
    return _finish(ws, record, report, created=True)


def _check_telemetry(frame: pd.DataFrame, spec: TuneSpec) -> None:
    named = (*spec.features, spec.time_col, spec.group_col, spec.label_col)
    missing = [c for c in named if c and c not in frame]
    if missing:
        raise InvalidTrainingData(
            f"Dataset {spec.data} has no column {', '.join(map(repr, missing))}; its columns are "
            f"{', '.join(map(str, frame.columns))}.",
            hint="Name existing columns in --features, --time-col, --group-col and --label-col.",
        )


def _telemetry_split(
    frame: pd.DataFrame, spec: TuneSpec
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(normal training rows, validation rows or None), each in time order within groups.

    With --train-rows N, the first N rows of each group train and the rest validate (SKAB's
    protocol); rows a label column marks as anomalous never train.
    """
    _check_telemetry(frame, spec)
    rows = sort_rows(frame, spec.time_col, spec.group_col)
    validation = None
    if spec.train_rows:
        position = rows.groupby(spec.group_col).cumcount() if spec.group_col else rows.index
        head = position < spec.train_rows
        rows, validation = rows[head], rows[~head].reset_index(drop=True)
    if spec.label_col:
        rows = rows[rows[spec.label_col].fillna(0).astype(float) == 0]
    return rows.reset_index(drop=True), validation


def _anomaly_options(spec: TuneSpec) -> AnomalyOptions:
    """The detector's options: the defaults, with the margin the spec sets."""
    from strata.train.anomaly import AnomalyOptions

    if spec.threshold_margin is None:
        return AnomalyOptions()
    return AnomalyOptions(threshold_margin=spec.threshold_margin)


def _tune_detector(ws: Workspace, spec: TuneSpec, progress: Progress) -> TrainResult:
    from strata.train.anomaly import train_anomaly

    base = ws.store.resolve(spec.base) if spec.base else None
    frame, data = read_columns(ws.lake, spec.columns(), "normal telemetry")
    rows, validation = _telemetry_split(frame, spec)
    key = spec.key(base=base.ref if base else None, data=data.to_dict())
    found = ws.store.find_job(Layer.L2_TASK, spec.name, key)
    if found is not None:
        return TrainResult(found, False, found.details.get("evaluation", {}))
    built = ws.scratch()
    progress("train", 0.0)
    facts = ws.engine.run(
        Job(
            f"tune:{spec.name}",
            train_anomaly,
            (rows, list(spec.features), built, _anomaly_options(spec)),
            {"time_col": spec.time_col, "group_col": spec.group_col},
        )
    )
    new = NewModel(
        layer=Layer.L2_TASK,
        name=spec.name,
        kind=ModelKind.ANOMALY,
        backend=TRAINED_BACKENDS[ModelKind.ANOMALY],
        source=Source.TRAINED,
        uri="",
        parent_id=base.id if base else None,
        details=_details(spec, key, data, training=facts),
    )
    record = ws.store.add_trained(new, built, ws.root)
    progress("train", 1.0)
    if validation is not None and spec.label_col and len(validation):
        report = evaluate_detector(ws, record.ref, validation, spec.label_col)
    else:
        report = evaluate_detector(ws, record.ref, rows, None)
    return _finish(ws, record, report, created=True)
