"""An executed report notebook as one self-contained HTML page (the report a reader opens).

The report notebooks show every section as a rich output: the sections render their own
HTML with their own stylesheet (:data:`sroi.report.sections.base.STYLE`) and embed their
figures as data URIs. So the page is those outputs in order, inside a ``<main>`` landmark,
with the code, the prompts and the ``stderr`` streams left out. Nothing else is added: no
script, no external stylesheet or font, so the page opens offline and contacts nobody.

Outputs are written by kind, the richest first: ``text/html`` as it is (the sections' own
markup); ``image/png`` as an embedded image; ``text/markdown`` and markdown cells through
mistune (CommonMark); ``text/plain``, ``stdout`` streams and errors as escaped preformatted
text. The page is a function of the notebook only (no time or random id), so re-running
the same report gives the same bytes.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["PAGE_STYLE", "notebook_page"]

#: The page's own layout; the sections bring their typography and tables
#: (:data:`sroi.report.sections.base.STYLE`).
PAGE_STYLE = """<style>
body { margin: 0; background: #fff; color: #1a1a1a;
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
main { max-width: 62rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
main pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.88rem;
  background: #f6f6f6; padding: 0.5rem 0.75rem; }
main img { max-width: 100%; height: auto; }
@media print { main { max-width: none; padding: 0; } }
</style>"""


def _text(value: Any) -> str:
    """A notebook text field: a string, or a list of lines (nbformat's multiline form)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return "".join(str(v) for v in value)
    return str(value)


def _markdown(source: str) -> str:
    import mistune

    return str(mistune.html(source))


def _preformatted(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def _rich(data: Mapping[str, Any]) -> str:
    """The richest kind of a display output this page can show."""
    if "text/html" in data:
        return _text(data["text/html"])
    if "image/png" in data:
        png = _text(data["image/png"]).replace("\n", "")
        return f'<img src="data:image/png;base64,{png}" alt="">'
    if "text/markdown" in data:
        return _markdown(_text(data["text/markdown"]))
    if "text/plain" in data:
        return _preformatted(_text(data["text/plain"]))
    return ""


def _output(out: Mapping[str, Any]) -> str:
    kind = out.get("output_type")
    if kind in ("execute_result", "display_data"):
        return _rich(out.get("data", {}))
    if kind == "stream":
        return "" if out.get("name") == "stderr" else _preformatted(_text(out.get("text", "")))
    if kind == "error":
        return _preformatted(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
    return ""


def _cell(cell: Mapping[str, Any]) -> str:
    if cell.get("cell_type") == "markdown":
        return _markdown(_text(cell.get("source", "")))
    if cell.get("cell_type") != "code":
        return ""
    return "\n".join(filter(None, (_output(o) for o in cell.get("outputs", []) or [])))


def notebook_page(nb: Mapping[str, Any], title: str | None = None) -> str:
    """The HTML page of an executed notebook: its outputs and markdown, code hidden.

    Parameters
    ----------
    nb
        The executed notebook (an ``nbformat`` node, or the same structure as plain dicts).
    title
        The page title (escaped); default "Report".

    Returns
    -------
    str
        A complete HTML document (``lang="en"``, one ``<main>``, no scripts).
    """
    body = "\n".join(filter(None, (_cell(c) for c in nb.get("cells", []))))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title or 'Report')}</title>\n{PAGE_STYLE}\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
