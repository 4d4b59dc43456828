"""The HTML pieces of the credit memo (``engine.audit.memo``) and its print style.

Every text goes in through ``e`` (``html.escape``): customer ids and names, reasons and actors
are typed by people and must never become markup. The document has no scripts, links, images
or fonts to fetch (inline CSS only), so a filed copy opens the same offline and cannot call
anywhere; ``@page`` sets A4 for printing or saving as PDF.
"""

from __future__ import annotations

import html

CSS = """
@page { size: A4; margin: 16mm 15mm 18mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #eef0f3; color: #111827;
  font: 10.5pt/1.45 "Helvetica Neue", Arial, "Liberation Sans", "Noto Sans CJK SC",
    "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; }
html:lang(zh) body { font-family: "Noto Sans CJK SC", "Source Han Sans SC",
  "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; }
.memo { width: 210mm; min-height: 297mm; margin: 10mm auto; padding: 16mm 15mm;
  background: #fff; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.15); }
header { border-bottom: 2px solid #1f2937; padding-bottom: 3mm; margin-bottom: 4mm; }
h1 { font-size: 18pt; margin: 0 0 1mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; padding-bottom: 1mm; border-bottom: 1px solid #cbd5e1;
  break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 3mm 0 1mm; }
p { margin: 1.5mm 0; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: 1.2mm 2mm;
  border-bottom: 1px solid #e5e7eb; overflow-wrap: anywhere; }
th { width: 38%; font-weight: 600; color: #374151; }
.pairs th { width: 27%; }
.pairs td { width: 23%; }
ol, ul { margin: 1mm 0; padding-left: 6mm; }
li { margin: 0.8mm 0; }
tr, li { break-inside: avoid; page-break-inside: avoid; }
.subtitle, .note { color: #4b5563; }
.note { font-size: 9pt; }
.verdict { font-size: 13pt; font-weight: 700; }
.sign th { width: 45%; font-weight: 400; }
.sign td { height: 11mm; border-bottom: 1px solid #111827; }
footer { margin-top: 8mm; padding-top: 2mm; border-top: 1px solid #cbd5e1; color: #6b7280;
  font-size: 8.5pt; }
@media print {
  body { background: #fff; }
  .memo { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; }
}
"""


def e(value: object) -> str:
    """Text as HTML: ``& < > " '`` escaped."""
    return html.escape(str(value), quote=True)


def table(rows: list[tuple[str, str]], css: str = "facts", per_row: int = 1) -> str:
    """Label/value pairs, both escaped, ``per_row`` pairs to a table row."""
    pairs = [f"<th>{e(k)}</th><td>{e(v)}</td>" for k, v in rows]
    lines = ["".join(pairs[i : i + per_row]) for i in range(0, len(pairs), per_row)]
    return f'<table class="{e(css)}">{"".join(f"<tr>{line}</tr>" for line in lines)}</table>'


def para(text: str, css: str = "") -> str:
    return f'<p class="{e(css)}">{e(text)}</p>' if css else f"<p>{e(text)}</p>"


def items(texts: list[str], ordered: bool = False) -> str:
    tag = "ol" if ordered else "ul"
    return f"<{tag}>{''.join(f'<li>{e(t)}</li>' for t in texts)}</{tag}>"


def section(title: str, *parts: str) -> str:
    """A titled section; ``parts`` are HTML already built by the functions above."""
    return f"<section><h2>{e(title)}</h2>{''.join(parts)}</section>"


def document(lang: str, title: str, body: str) -> str:
    """The whole page around ``body`` (HTML): language, character set, title and style."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f'<body>\n<main class="memo">\n{body}\n</main>\n</body>\n</html>\n'
    )


__all__ = ["CSS", "document", "e", "items", "para", "section", "table"]
