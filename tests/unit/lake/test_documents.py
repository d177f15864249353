"""The documents connector: PDF, HTML, Markdown, TXT and DOCX into documents and chunks."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from strata.lake import Lake
from strata.lake.connectors.documents import chunk_text


def _pdf(path: Path, pages: list[str]) -> None:
    """A tiny valid PDF with one text line per page (written by hand; no PDF writer needed)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        page_id, content_id = len(objects) + 1, len(objects) + 2
        kids.append(f"{page_id} 0 R")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
            f"{content_id} 0 R /Resources << /Font << /F1 {len(pages) * 2 + 3} 0 R "
            ">> >> >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode()}\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(out)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    _pdf(folder / "manual.pdf", ["Pump manual page one", "Check the valve pressure"])
    (folder / "faq.html").write_text(
        "<html><head><title>Card FAQ</title></head><body><article><h1>Card FAQ</h1>"
        "<p>Your new card arrives within five working days of the order.</p>"
        "<p>Contact support if it does not arrive in two weeks.</p></article></body></html>"
    )
    (folder / "notes.md").write_text("# Shift notes\n\nValve 2 replaced.\n\nPressure normal.\n")
    (folder / "readme.txt").write_text("Plain text title\n\nSome body text.\n")
    document = Document()
    document.add_paragraph("Safety rules")
    document.add_paragraph("Wear a helmet underground.")
    document.save(str(folder / "rules.docx"))
    return folder


def test_documents_and_chunks_with_stable_ids(lake: Lake, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    result = lake.ingest(str(folder), "kb", connector="documents")
    assert result.parts == 5
    docs = lake.read("kb").to_pylist()
    pages = {(d["path"], d["page"]): d for d in docs}
    assert pages[("manual.pdf", 2)]["text"].strip() == "Check the valve pressure"
    assert pages[("faq.html", 1)]["title"] == "Card FAQ"
    assert "five working days" in pages[("faq.html", 1)]["text"]
    assert pages[("notes.md", 1)]["title"] == "Shift notes"
    assert pages[("rules.docx", 1)]["title"] == "Safety rules"
    assert all(len(d["sha256"]) == 64 for d in docs)
    chunks = lake.read("kb-chunks")
    first_ids = sorted(chunks.column("chunk_id").to_pylist())
    assert len(first_ids) == len(set(first_ids)) >= 6
    (folder / "new.txt").write_text("Another note\n\nmore text\n")
    again = lake.ingest(str(folder), "kb", connector="documents")
    assert (again.parts, again.unchanged_parts) == (1, 5)
    ids = sorted(lake.read("kb-chunks").column("chunk_id").to_pylist())
    assert set(first_ids) < set(ids) and len(ids) == len(set(ids))


def _sentences(n: int) -> str:
    words = ["valve", "pressure", "operator", "inspection", "maintenance", "bearing", "seal"]
    return " ".join(
        " ".join(words[(i + j) % len(words)] for j in range(3 + i % 9)).capitalize() + "."
        for i in range(n)
    )


def test_long_paragraphs_are_cut_between_words_with_overlap() -> None:
    text = _sentences(40)
    chunks = chunk_text(text, 200, overlap=60)
    words = set(text.split())
    assert len(chunks) > 5 and all(len(c) <= 200 for c in chunks)
    assert all(set(c.split()) <= words for c in chunks)  # no word was split
    assert sum(c.endswith(".") for c in chunks) >= len(chunks) - 1  # cut after sentences
    end, overlaps = 0, []
    for chunk in chunks:  # in order, no gap, each overlapping the one before by <= 60 chars
        start = text.find(chunk, max(0, end - 60))
        assert 0 <= start <= end + 1
        overlaps.append(end - start)
        end = start + len(chunk)
    assert end == len(text) and max(overlaps) <= 60 and sum(o > 0 for o in overlaps) > 2


def test_short_paragraphs_are_packed_and_unbroken_text_is_cut() -> None:
    assert chunk_text("One.\n\nTwo.\n\nThree.", 100) == ["One.\n\nTwo.\n\nThree."]
    assert chunk_text("One.\n\nTwo.\n\nThree.", 12) == ["One.\n\nTwo.", "Three."]
    assert chunk_text("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]
    spaced = chunk_text("word " * 60, 50, overlap=0)
    assert all(set(c.split()) == {"word"} and len(c) <= 50 for c in spaced)
    assert sum(len(c.split()) for c in spaced) == 60
