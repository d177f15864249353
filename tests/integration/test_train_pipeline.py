"""The model factory end to end on a real lake: adapt L0 -> L1, tune -> L2, eval, lineage, gates."""

from __future__ import annotations

import csv
import importlib.util
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from strata.compute.base import engine
from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.lake import Lake
from strata.models.errors import GateFailed
from strata.models.layers import ModelKind
from strata.models.lineage import lineage
from strata.models.predict import classify_frame, detect_frame
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore
from strata.train.adapt import adapt
from strata.train.assess import evaluate
from strata.train.errors import InvalidJobSpec, InvalidTrainingData
from strata.train.spec import AdaptSpec, TuneSpec
from strata.train.tune import tune
from strata.train.workspace import Workspace

SKAB = Path(__file__).resolve().parents[3] / "shared" / "data" / "skab" / "valve1"
FEATURES = (
    "Accelerometer1RMS",
    "Accelerometer2RMS",
    "Current",
    "Pressure",
    "Temperature",
    "Thermocouple",
    "Voltage",
    "Volume Flow RateRMS",
)
INTENTS = {
    "card_arrival": ["my card has not arrived", "where is my new card", "card still not here"],
    "refund": ["i want my money back", "please refund the charge", "refund for the coffee"],
    "transfer": ["send money to my friend", "transfer to another account", "wire funds abroad"],
}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    settings = load_settings(Path("/nonexistent.yaml"), home=tmp_path / "home")
    catalog = Catalog(settings.catalog_url)
    store = ModelStore(catalog)
    return Workspace(
        store=store,
        runtime=ModelRuntime(store, settings.models),
        lake=Lake(catalog, settings.lake, settings.home),
        root=settings.home / "models",
        engine=engine("local"),
    )


def _requests_csv(path: Path, copies: int = 4) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "intent"])
        for i in range(copies):
            for intent, texts in INTENTS.items():
                for text in texts:
                    writer.writerow([f"{text} {'please ' * i}".strip(), intent])
    return path


def test_anomaly_with_skab_protocol(ws: Workspace, tmp_path: Path) -> None:
    if not SKAB.is_dir():
        pytest.skip(f"SKAB data not found at {SKAB}")
    folder = tmp_path / "valve"
    folder.mkdir()
    for name in ("1.csv", "2.csv"):
        shutil.copy(SKAB / name, folder / name)
    ws.lake.ingest(str(folder), "valve", progress=None)
    spec = TuneSpec(
        name="pump",
        task="anomaly",
        data="valve",
        features=FEATURES,
        time_col="datetime",
        label_col="anomaly",
        train_rows=400,
        gates=("f1>=0.99",),
    )
    with pytest.raises(InvalidTrainingData, match="no column 'source'"):
        tune(ws, spec.model_copy(update={"group_col": "source"}))
    result = tune(ws, spec)
    assert result.created and result.record.kind == ModelKind.ANOMALY
    assert {"f1", "far", "mar", "ba"} <= set(result.record.metrics)
    again = tune(ws, spec)
    assert not again.created and again.record.ref == result.record.ref
    with pytest.raises(GateFailed, match=r"f1>=0\.99"):
        ws.store.promote(result.record.ref, "production")
    _, detector = ws.runtime.detector("l2/pump")
    rows = pd.read_csv(SKAB / "3.csv", sep=";")
    flagged = detect_frame(detector, rows)
    assert set(flagged["anomaly"].unique()) <= {0, 1} and len(flagged) == len(rows)

    wider = tune(ws, spec.model_copy(update={"threshold_margin": 3.0}))
    assert wider.created and wider.record.version == result.record.version + 1
    options = wider.record.details["training"]["options"]
    assert options["threshold_margin"] == 3.0
    assert wider.record.metrics["far"] <= result.record.metrics["far"]
    assert wider.record.metrics["mar"] >= result.record.metrics["mar"]


def test_adapt_then_tune_then_eval(ws: Workspace, tmp_path: Path, tiny_encoder: Path) -> None:
    ws.store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    ws.lake.ingest(str(_requests_csv(tmp_path / "requests.csv")), "requests", progress=None)
    spec = AdaptSpec(
        base="l0/tiny-encoder",
        name="finance",
        corpus="requests:text",
        labels="requests:text,intent",
        batch_size=4,
    )
    l1 = adapt(ws, spec)
    assert l1.created and l1.record.ref == "l1/finance@1"
    assert (Path(l1.record.uri) / "README.md").is_file()
    assert not list(Path(l1.record.uri).rglob("*.bin"))
    assert not adapt(ws, spec).created
    _, encoder = ws.runtime.encoder("l1/finance")
    assert encoder.embed(["my card"]).shape == (1, 16)
    with pytest.raises(InvalidJobSpec, match="not an encoder"):
        adapt(ws, spec.model_copy(update={"base": _register_classifier(ws, tmp_path)}))
    if importlib.util.find_spec("strata.train.classify") is None:
        pytest.skip("the classifier trainer is not installed")
    _tune_on_l1(ws, tmp_path)


def _register_classifier(ws: Workspace, tmp_path: Path) -> str:
    from fixtures.tiny_models import build_tiny_classifier

    record, _ = ws.store.add_folder(
        build_tiny_classifier(tmp_path / "clf"), kind=ModelKind.CLASSIFIER
    )
    return record.ref


def _tune_on_l1(ws: Workspace, tmp_path: Path) -> None:
    spec = TuneSpec(
        base="l1/finance",
        name="intents",
        data="requests:text,intent",
        mode="fast",
        gates=("accuracy>=1.01",),
    )
    seen: list[tuple[str, float]] = []
    l2 = tune(ws, spec, lambda stage, fraction: seen.append((stage, fraction)))
    assert l2.created and l2.record.parent_id == ws.store.resolve("l1/finance").id
    assert ("evaluate", 1.0) in seen  # the validation pass fills its progress bar
    assert 0.0 <= l2.record.metrics["accuracy"] <= 1.0
    assert [s.stage for s in lineage(ws.store, l2.record)] == [
        "l0",
        "data",
        "data",
        "l1",
        "data",
        "l2",
    ]
    with pytest.raises(GateFailed, match=r"accuracy>=1\.01"):
        ws.store.promote(l2.record.ref, "production")
    report = evaluate(ws, "l2/intents", "requests")
    assert report["data"]["dataset"] == "requests" and report["metrics"]["examples"] == 36
    _, classifier = ws.runtime.classifier("l2/intents")
    frame = pd.DataFrame({"text": ["where is my card", "refund please"]})
    out = classify_frame(classifier, frame, "text", top_k=2)
    assert set(out["label"]) <= set(INTENTS) and out["top_k"].str.contains("score").all()


def test_tune_passes_body_options(ws: Workspace, tmp_path: Path, tiny_encoder: Path) -> None:
    ws.store.add_folder(tiny_encoder, kind=ModelKind.ENCODER)
    ws.lake.ingest(str(_requests_csv(tmp_path / "requests.csv")), "requests", progress=None)
    spec = TuneSpec(
        base="l0/tiny-encoder",
        name="intents-body",
        data="requests:text,intent",
        mode="body",
        epochs=1,
        max_length=16,
    )
    options = tune(ws, spec).record.details["training"]["options"]
    assert (options["mode"], options["epochs"], options["max_length"]) == ("body", 1, 16)
    with pytest.raises(ValidationError, match="epochs"):
        TuneSpec(base="l0/tiny-encoder", name="x", data="requests:text,intent", epochs=0)
