"""Build the pack's PDF policies from `pdf_src/*.md` (a maintainer tool; needs fpdf2).

The PDFs are committed, so installing the pack needs no PDF library and the files (and their
sha256, which makes ingest idempotent) never change between installs. Run it after editing a
source: `.venv/bin/python -m strata.packs.finance.build_pdfs`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_DATE = datetime(2026, 3, 1, tzinfo=UTC)


def build(source: Path, target: Path) -> Path:
    """Render one Markdown-ish source (headings, paragraphs, bullets) into a PDF."""
    from fpdf import FPDF

    lines = source.read_text(encoding="utf-8").splitlines()
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(lines[0].lstrip("# ").strip())
    pdf.set_author("Northwind Mutual Bank (fictional)")
    pdf.add_page()
    for line in lines:
        _line(pdf, line)
    pdf.output(str(target))
    return target


def _line(pdf: object, line: str) -> None:
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    text = line.strip()
    if not text:
        pdf.ln(3)
    elif text.startswith("# "):
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 9, text[2:], new_x="LMARGIN", new_y="NEXT")
    elif text.startswith("## "):
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 8, text[3:], new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.set_font("Helvetica", "", 11)
        body = "- " + text[2:] if text.startswith("- ") else text
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")


def main() -> None:
    """Build every PDF in `policies/`."""
    for source in sorted((HERE / "pdf_src").glob("*.md")):
        print(build(source, HERE / "policies" / f"{source.stem}.pdf"))


if __name__ == "__main__":
    main()
