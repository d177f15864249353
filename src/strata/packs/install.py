"""`strata packs install`: ingest a pack's data, adapt its L1, tune its L2, build its knowledge
bases, publish its app, run the gates, promote what passes, and write the pack's eval report.

Every step is idempotent (ingest by content hash, training by job key, knowledge bases by dataset
version, apps by spec hash), so a second install changes nothing and takes seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from strata.core.errors import StrataError
from strata.lake.spec import DataSpec, load_spec
from strata.models.layers import Layer
from strata.packs import data as pack_data
from strata.packs.base import DatasetEntry, Pack, pack_file
from strata.packs.errors import PackDataMissing, PackNotInstalled
from strata.packs.guard import guard_evaluation
from strata.packs.publish import AppPublisher, KbBuilder
from strata.train.adapt import adapt
from strata.train.detector import DetectorOptions, build_detector
from strata.train.spec import AdaptSpec, TuneSpec
from strata.train.tune import tune
from strata.train.workspace import Workspace

Progress = Callable[[str, float], None]
EVAL_FILE = "eval.json"


def _quiet(stage: str, fraction: float) -> None:
    """The progress callback used when the caller gives none."""


def _only(spec: DataSpec | None, *columns: str) -> DataSpec | None:
    """`spec` cut down to `columns` (the training split keeps text and label alone)."""
    if spec is None:
        return None
    kept = {name: col for name, col in spec.columns.items() if name in columns}
    keys = [k for k in spec.primary_key if k in kept]
    if not kept:
        return None
    return DataSpec(columns=kept, primary_key=keys, description=spec.description)


@dataclass(frozen=True)
class InstallOptions:
    """How to install a pack; the defaults build the full pack.

    Args:
        encoder: the L0 encoder the L1 starts from (None: the default encoder setting).
        rows_per_label: keep only the first N rows of each label of labelled data (quick installs).
        mode: classifier training path of the L2 (`fast` head only, `body` tunes the encoder).
        max_pairs: cap on L1 training pairs per source.
        data_dir: where `data:` sources live (None: `shared/data` beside the repository).
        guard: build the pack's injection detector (quick installs leave it out; the app's
            check then fails as its policy says).
    """

    encoder: str | None = None
    rows_per_label: int | None = None
    mode: Literal["fast", "body"] | None = None
    max_pairs: int | None = None
    data_dir: Path | None = None
    guard: bool = True


PROFILES: dict[str, InstallOptions] = {
    "full": InstallOptions(),
    "quick": InstallOptions(rows_per_label=10, mode="fast", max_pairs=200, guard=False),
}


def profile(name: str, **overrides: Any) -> InstallOptions:
    """A named profile (`full`, `quick`) with some options replaced (None values ignored)."""
    from strata.core.errors import InvalidInput

    if name not in PROFILES:
        raise InvalidInput(
            f"Install profile {name!r} is not known; known: {', '.join(PROFILES)}.",
            hint="Use --profile full (the default) or --profile quick.",
        )
    return replace(PROFILES[name], **{k: v for k, v in overrides.items() if v is not None})


@dataclass
class PackContext:
    """What an install works with: training handles, the home, knowledge bases and apps."""

    ws: Workspace
    home: Path
    kbs: KbBuilder
    apps: AppPublisher
    default_encoder: str = "l0/minilm-l6"

    def folder(self, pack: Pack) -> Path:
        """`STRATA_HOME/packs/NAME`: derived data and the eval report."""
        return self.home / "packs" / pack.manifest.name


@dataclass
class StepReport:
    """One install step: what it built, whether anything changed, and its facts."""

    step: str
    target: str
    created: bool
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {"step": self.step, "target": self.target, "created": self.created, **self.facts}


@dataclass
class InstallReport:
    """What one install did, and the pack's evaluation."""

    pack: str
    steps: list[StepReport]
    evaluation: dict[str, Any]
    eval_path: str
    seconds: float

    @property
    def changed(self) -> bool:
        """Whether any step built something new."""
        return any(s.created for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "pack": self.pack,
            "changed": self.changed,
            "steps": [s.to_dict() for s in self.steps],
            "evaluation": self.evaluation,
            "eval_report": self.eval_path,
            "seconds": self.seconds,
        }


class _Installer:
    """One install run of one pack."""

    def __init__(self, pack: Pack, ctx: PackContext, options: InstallOptions, progress: Progress):
        self.pack, self.ctx, self.options, self.progress = pack, ctx, options, progress
        self.manifest = pack.manifest
        self.steps: list[StepReport] = []
        self.data_dir = options.data_dir or pack_data.default_data_dir()

    def run(self) -> list[StepReport]:
        for entry in self.manifest.datasets:
            spec = self._spec(entry.spec)
            self._ingest(entry.name, self._source(entry, spec), spec, entry.connector)
        self._holdout()
        self._adapt()
        self._tune()
        self._guard()
        for name, dataset in self.manifest.kb.items():
            self._kb(name, dataset)
        self._app()
        self._promote()
        return self.steps

    def _spec(self, relative: str | None) -> DataSpec | None:
        return load_spec(pack_file(self.pack, relative)) if relative else None

    def _source(self, entry: DatasetEntry, spec: DataSpec | None) -> Path:
        path = pack_data.source_path(self.pack, entry, self.data_dir)
        derived = self.ctx.folder(self.pack) / "data"
        if entry.records and spec is not None:
            out = derived / f"{entry.name}.jsonl"
            return pack_data.yaml_records(path, entry.records, spec, out)
        if self.options.rows_per_label and entry.labels and path.is_file():
            out = derived / f"{entry.name}.csv"
            return pack_data.limited_copy(path, entry.labels, self.options.rows_per_label, out)
        return path

    def _ingest(
        self, name: str, source: Path, spec: DataSpec | None, connector: str | None
    ) -> None:
        stage = f"ingest {name}"
        self.progress(stage, 0.0)
        result = self.ctx.ws.lake.ingest(
            str(source),
            name,
            spec=spec,
            connector=connector,
            progress=lambda f: self.progress(stage, f),
        )
        self.progress(stage, 1.0)
        facts: dict[str, Any] = {"version": result.version}
        if result.created:
            facts |= {"rows": result.counts.accepted, "quarantined": result.counts.quarantined}
        self.steps.append(StepReport("ingest", f"{name}@{result.version}", result.created, facts))

    def _holdout(self) -> None:
        holdout = self.manifest.holdout
        if holdout is None:
            return
        frame = self.ctx.ws.lake.read(holdout.dataset).to_pandas()
        out = self.ctx.folder(self.pack) / "data" / f"{holdout.train_dataset}.csv"
        source = pack_data.training_csv(frame, holdout, out)
        entry = next((d for d in self.manifest.datasets if d.name == holdout.dataset), None)
        spec = self._spec(entry.spec if entry else None)
        self._ingest(holdout.train_dataset, source, _only(spec, holdout.text, holdout.label), None)

    def _adapt(self) -> None:
        entry = self.manifest.l1
        if entry is None:
            return
        spec = AdaptSpec(
            base=self.options.encoder or self.ctx.default_encoder,
            name=entry.name,
            corpus=entry.corpus,
            labels=entry.labels,
            epochs=entry.epochs,
            batch_size=entry.batch_size,
            max_pairs=self.options.max_pairs or entry.max_pairs,
        )
        result = adapt(self.ctx.ws, spec, self.progress)
        facts = {"base": spec.base, **result.record.metrics}
        self.steps.append(StepReport("adapt", result.record.ref, result.created, facts))

    def _base(self) -> str:
        if self.manifest.l1 is not None:
            return f"l1/{self.manifest.l1.name}"
        return self.options.encoder or self.ctx.default_encoder

    def _tune(self) -> None:
        entry, holdout = self.manifest.l2, self.manifest.holdout
        if entry is None:
            return
        spec = TuneSpec(
            base=self._base(),
            name=entry.name,
            data=entry.data,
            mode=self.options.mode or entry.mode,
            gates=entry.gates,
            seed=holdout.seed if holdout else 0,
            val_fraction=holdout.val_fraction if holdout else 0.2,
        )
        result = tune(self.ctx.ws, spec, self.progress)
        metrics = result.record.metrics
        facts: dict[str, Any] = {
            k: metrics[k] for k in ("accuracy", "macro_f1", "examples") if k in metrics
        }
        self.steps.append(StepReport("tune", result.record.ref, result.created, facts))

    def _guard(self) -> None:
        entry = self.manifest.guard
        if entry is None or not self.options.guard:
            return
        try:
            source = pack_data.source_path(
                self.pack, DatasetEntry(name=entry.name, source=entry.source), self.data_dir
            )
        except PackDataMissing as exc:
            raise PackDataMissing(
                exc.message, hint=f"{exc.hint} Or install without it: --no-guard.", **exc.context
            ) from exc
        base = self.options.encoder or self.ctx.default_encoder
        options = DetectorOptions(
            name=entry.name, base=base, mode=entry.mode, templated=entry.templated
        )
        report = build_detector(
            self.ctx.ws, source, options, lambda stage, f: self.progress(f"guard: {stage}", f)
        )
        facts = {"threshold": report["threshold"], "mode": entry.mode}
        facts |= {f"test_{k}": report["test"][k] for k in ("tpr", "fpr")}
        self.steps.append(StepReport("guard", report["model"], report["created"], facts))

    def _kb(self, name: str, dataset: str) -> None:
        self.progress(f"kb {name}", 0.0)
        built = self.ctx.kbs.build(name, dataset, self._base())
        self.progress(f"kb {name}", 1.0)
        facts = {"chunks": built.chunks, "encoder": built.encoder, "embedded": built.embedded}
        self.steps.append(StepReport("kb", name, not built.unchanged, facts))

    def _app(self) -> None:
        if self.manifest.app is None:
            return
        self.progress("app", 0.0)
        facts = self.ctx.apps.publish(pack_file(self.pack, self.manifest.app), self.manifest.alias)
        self.progress("app", 1.0)
        ref, created = str(facts.pop("ref")), bool(facts.pop("created"))
        self.steps.append(StepReport("app", ref, created, facts))

    def _promote(self) -> None:
        if self.manifest.l2 is None:
            return
        ref = f"l2/{self.manifest.l2.name}"
        record = self.ctx.ws.store.resolve(ref)
        alias = self.manifest.alias
        if alias in record.aliases:
            self.steps.append(StepReport("promote", f"{record.ref}:{alias}", False))
            return
        try:
            promoted = self.ctx.ws.store.promote(record.ref, alias)
        except StrataError as exc:
            self.steps.append(StepReport("promote", record.ref, False, {"refused": exc.message}))
            return
        self.steps.append(StepReport("promote", f"{promoted.ref}:{alias}", True))


def install(
    pack: Pack, ctx: PackContext, options: InstallOptions, progress: Progress = _quiet
) -> InstallReport:
    """Install a pack into the home; see the module docstring for the steps."""
    started = time.perf_counter()
    steps = _Installer(pack, ctx, options, progress).run()
    progress("evaluate", 0.0)
    evaluation = evaluate_pack(pack, ctx)
    progress("evaluate", 1.0)
    path = ctx.folder(pack) / EVAL_FILE
    seconds = round(time.perf_counter() - started, 1)
    return InstallReport(pack.manifest.name, steps, evaluation, str(path), seconds)


def evaluate_pack(pack: Pack, ctx: PackContext) -> dict[str, Any]:
    """The pack's eval report: its L2's validation metrics plus the pack's own checks.

    Written to `STRATA_HOME/packs/NAME/eval.json` only when it changed, so re-runs leave it alone.
    """
    report: dict[str, Any] = {"pack": pack.manifest.name, "version": pack.manifest.version}
    if pack.manifest.l2 is not None:
        if not ctx.ws.store.exists(Layer.L2_TASK, pack.manifest.l2.name):
            raise PackNotInstalled(
                f'Pack "{pack.manifest.name}" is not installed in {ctx.home} '
                f"(no l2/{pack.manifest.l2.name}).",
                hint=f"Install it first: strata packs install {pack.manifest.name}",
            )
        record = ctx.ws.store.resolve(f"l2/{pack.manifest.l2.name}")
        split = record.details.get("split", {})
        report["intent"] = {"model": record.ref, **record.metrics, "split": split}
    guard = guard_evaluation(pack.manifest, ctx.ws, ctx.folder(pack))
    if guard is not None:
        report["guard"] = guard
    report.update(pack.evaluate(ctx))
    text = json.dumps(report, indent=2, sort_keys=True, default=str) + "\n"
    pack_data.write_if_changed(ctx.folder(pack) / EVAL_FILE, text)
    return report


def read_evaluation(pack: Pack, home: Path) -> dict[str, Any] | None:
    """The last eval report written for the pack, or None before its first install."""
    path = home / "packs" / pack.manifest.name / EVAL_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
