"""Documents: a folder of PDF, HTML, Markdown, TXT and DOCX files -> a documents table (one row per
page) and a chunks table with stable chunk ids, for retrieval later."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from strata.core.hashing import sha256_file
from strata.lake.connectors.base import Part, Scan, Source
from strata.lake.errors import InvalidSource
from strata.lake.spec import ColumnSpec, ColumnType, DataSpec

EXTENSIONS = {".pdf", ".html", ".htm", ".md", ".markdown", ".txt", ".docx"}
CHUNKS_SUFFIX = "-chunks"
_TEXT = ColumnSpec(type=ColumnType.STRING)
_KEY = ColumnSpec(type=ColumnType.STRING, required=True)
_INT = ColumnSpec(type=ColumnType.INTEGER, required=True)
DOCUMENTS_SPEC = DataSpec(
    columns={
        "doc_id": _KEY,
        "path": _KEY,
        "title": _TEXT,
        "page": _INT,
        "text": _TEXT,
        "sha256": _KEY,
    },
    primary_key=["doc_id", "page"],
    description="One row per document page.",
)
CHUNKS_SPEC = DataSpec(
    columns={
        "chunk_id": _KEY,
        "doc_id": _KEY,
        "path": _KEY,
        "page": _INT,
        "chunk": _INT,
        "text": _TEXT,
    },
    primary_key=["chunk_id"],
    description="Document text cut into retrieval chunks.",
)


@dataclass(frozen=True)
class Page:
    """The text of one page of a document."""

    title: str
    page: int
    text: str


def _first_line(text: str) -> str:
    return next((ln.strip().lstrip("#").strip() for ln in text.splitlines() if ln.strip()), "")


def _pdf(path: Path) -> Iterator[Page]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    title = (reader.metadata.title if reader.metadata else None) or ""
    texts = [page.extract_text() or "" for page in reader.pages]
    title = title or _first_line(texts[0] if texts else "") or path.stem
    for number, text in enumerate(texts, start=1):
        yield Page(title, number, text)


def _html(path: Path) -> Iterator[Page]:
    import trafilatura

    html = path.read_text(encoding="utf-8", errors="replace")
    text = trafilatura.extract(html, include_comments=False, include_tables=True) or ""
    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta is not None else None) or _first_line(text) or path.stem
    yield Page(title, 1, text)


def _docx(path: Path) -> Iterator[Page]:
    from docx import Document

    document = Document(str(path))
    text = "\n\n".join(p.text for p in document.paragraphs if p.text.strip())
    yield Page(document.core_properties.title or _first_line(text) or path.stem, 1, text)


def _plain(path: Path) -> Iterator[Page]:
    text = path.read_text(encoding="utf-8", errors="replace")
    yield Page(_first_line(text) or path.stem, 1, text)


def read_pages(path: Path) -> list[Page]:
    """The pages of one document, by extension."""
    suffix = path.suffix.lower()
    reader = {".pdf": _pdf, ".html": _html, ".htm": _html, ".docx": _docx}.get(suffix, _plain)
    return list(reader(path))


_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s")


def chunk_text(text: str, size: int, overlap: int | None = None) -> list[str]:
    """Chunks of at most `size` characters that end at a paragraph, sentence or word boundary.

    Paragraphs are packed together up to `size`. A longer paragraph is cut after its last sentence
    in the first `size` characters (else at its last space there), and the next piece repeats up to
    `overlap` characters of whole words (default `size // 10`), so text near a cut is found from
    either side. Only a single word longer than `size` is cut inside the word.
    """
    overlap = size // 10 if overlap is None else overlap
    chunks: list[str] = []
    current = ""
    for para in (p.strip() for p in re.split(r"\n\s*\n", text)):
        if len(para) > size:
            pieces, para = _split_long(para, size, overlap)
            chunks.extend([current, *pieces] if current else pieces)
            current = ""
        if current and len(current) + len(para) + 2 > size:
            chunks.append(current)
            current = ""
        current = f"{current}\n\n{para}" if current else para
    return [c for c in [*chunks, current] if c.strip()]


def _split_long(para: str, size: int, overlap: int) -> tuple[list[str], str]:
    """Pieces of at most `size` characters cut from `para`, and the rest (at most `size`)."""
    pieces: list[str] = []
    while len(para) > size:
        end = _cut(para, size)
        pieces.append(para[:end].rstrip())
        para = para[_overlap_start(para, end, overlap) :].lstrip()
    return pieces, para


def _cut(para: str, size: int) -> int:
    """Where a piece of `para` ends: after a sentence in its second half, else at a space."""
    window = para[: size + 1]
    sentence = max((m.end() - 1 for m in _SENTENCE_END.finditer(window)), default=0)
    if sentence >= size // 2:
        return sentence
    space = max((i for i in range(1, len(window)) if window[i].isspace()), default=0)
    return space or size


def _overlap_start(para: str, end: int, overlap: int) -> int:
    """Where the next piece starts: the first sentence start, else word start, in the last
    `overlap` characters before `end` (at most half the piece, so each cut moves forward)."""
    low = max(end - overlap, (end + 1) // 2, 1)
    sentences = (m.end() for m in _SENTENCE_END.finditer(para, low - 1, end) if m.end() < end)
    words = (i for i in range(low, end) if para[i - 1].isspace() and not para[i].isspace())
    return next(sentences, None) or next(words, end)


def _doc_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def _chunk_id(doc_id: str, page: int, text: str) -> str:
    return hashlib.sha256(f"{doc_id}|{page}|{text}".encode()).hexdigest()[:24]


class DocumentsConnector:
    """Options: `chunks` (True: emit the chunks table) and `chunk_chars`."""

    def matches(self, source: Source) -> bool:
        """Only when asked for by name (`--connector documents`)."""
        return False

    def scan(self, source: Source, state: dict[str, Any]) -> Scan:
        """Hash every document; the relation parses the ones not ingested yet."""
        base = Path(source.uri).expanduser()
        files = (
            [base]
            if base.is_file()
            else sorted(
                p for p in base.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS
            )
        )
        if not files:
            raise InvalidSource(
                f"No documents at {source.uri!r}.",
                hint=f"Pass a folder with {', '.join(sorted(EXTENSIONS))} files.",
            )
        root = base.parent if base.is_file() else base
        paths = {p.relative_to(root).as_posix(): p for p in files}
        parts = [Part(name, sha256_file(path)) for name, path in paths.items()]
        chunks, size = (
            bool(source.options.get("chunks")),
            int(source.options.get("chunk_chars", 1000)),
        )

        def relation(
            con: duckdb.DuckDBPyConnection, todo: Sequence[Part], typed: bool = False
        ) -> duckdb.DuckDBPyRelation:
            rows = [
                row for part in todo for row in self._rows(part, paths[part.name], chunks, size)
            ]
            spec = CHUNKS_SPEC if chunks else DOCUMENTS_SPEC
            return con.from_arrow(pa.Table.from_pylist(rows, schema=spec.arrow_schema()))

        return Scan(parts=parts, relation=relation, lineage=str(base.resolve()))

    @staticmethod
    def _rows(part: Part, path: Path, chunks: bool, size: int) -> list[dict[str, Any]]:
        doc_id = _doc_id(part.name)
        pages = read_pages(path)
        if not chunks:
            return [
                {
                    "doc_id": doc_id,
                    "path": part.name,
                    "title": p.title,
                    "page": p.page,
                    "text": p.text,
                    "sha256": part.sha256,
                }
                for p in pages
            ]
        return [
            {
                "chunk_id": _chunk_id(doc_id, p.page, text),
                "doc_id": doc_id,
                "path": part.name,
                "page": p.page,
                "chunk": n,
                "text": text,
            }
            for p in pages
            for n, text in enumerate(chunk_text(p.text, size))
        ]
