"""Open the HTML report in headless Chromium: no console errors, every chart displayed.

Every chart's text, drawn with the browser's own fonts, lies inside its chart and no two of
its texts overlap.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); skipped with a message when it
is not installed. A screenshot is saved under the test's tmp dir.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")

PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push('error: ' + e.message); }, true);
(function () {
  var orig = console.error;
  console.error = function () { window.__errors.push('console.error: ' + Array.from(arguments).join(' ')); orig.apply(console, arguments); };
})();
window.addEventListener('load', function () {
  var charts = Array.from(document.querySelectorAll('svg.sroi-chart'));
  var bad = charts.filter(function (c) {
    var r = c.getBoundingClientRect();
    var st = getComputedStyle(c);
    return !(r.width > 0 && r.height > 0 && st.display !== 'none' && st.visibility !== 'hidden');
  });
  // every word of a chart inside the chart, and no two texts of a chart on top of each other
  var problems = [];
  function hit(r, q) {
    var w = Math.min(r.right, q.right) - Math.max(r.left, q.left);
    var h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
    return w > 1.5 && h > 1.5;
  }
  charts.forEach(function (c, i) {
    var box = c.getBoundingClientRect();
    // no text on a legend swatch, and none but notes inside the plot
    var swatches = Array.from(c.querySelectorAll('g.swatch')).map(function (g) { return g.getBoundingClientRect(); });
    var frame = c.querySelector('path.frame').getBoundingClientRect();
    Array.from(c.querySelectorAll('text')).forEach(function (t) {
      var r = t.getBoundingClientRect();
      swatches.forEach(function (q) { if (hit(r, q)) { problems.push('chart ' + i + ': "' + t.textContent + '" on a legend swatch'); } });
      if (t.getAttribute('class') !== 'note' && hit(r, frame)) { problems.push('chart ' + i + ': "' + t.textContent + '" inside the plot'); }
    });
    var texts = Array.from(c.querySelectorAll('text')).map(function (t) {
      return [t.textContent, t.getBoundingClientRect()];
    });
    texts.forEach(function (a, j) {
      var r = a[1];
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        problems.push('chart ' + i + ': "' + a[0] + '" outside');
      }
      texts.slice(j + 1).forEach(function (b) {
        var q = b[1];
        var w = Math.min(r.right, q.right) - Math.max(r.left, q.left);
        var h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
        if (w > 1.5 && h > 1.5) { problems.push('chart ' + i + ': "' + a[0] + '" over "' + b[0] + '"'); }
      });
    });
  });
  var out = document.createElement('pre');
  out.id = '__probe';
  out.textContent = 'CHARTS=' + charts.length + ';NOT_DISPLAYED=' + bad.length + ';ERRORS=' + JSON.stringify(window.__errors) + ';LAYOUT=' + JSON.stringify(problems) + ';END';
  document.body.appendChild(out);
});
</script>"""


def _chromium() -> str | None:
    for c in CANDIDATES:
        path = shutil.which(c)
        if path:
            return path
    return None


def _flags(tmp_path: Path) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--allow-file-access-from-files",
        "--enable-logging=stderr",
        "--v=0",
    ]


@pytest.mark.parametrize("font", [None, "DejaVu Sans"], ids=["fonts-as-asked", "wider-fallback"])
@pytest.mark.parametrize("report", ["small_report", "sample_report"])
def test_report_in_headless_chromium(report, font, request, tmp_path):
    """``font``: the charts drawn in that font instead, as a browser without Helvetica, Arial
    or Liberation Sans would (DejaVu Sans, about 10% wider): their text must still fit."""
    exe = _chromium()
    if exe is None:
        pytest.skip(
            "headless Chromium not installed (Debian: apt-get install -y chromium); "
            "the browser check of the HTML report was not run"
        )
    out, html = request.getfixturevalue(report)
    text = html.read_text(encoding="utf-8")
    n_figures = len(re.findall(r'<svg [^>]*class="sroi-chart"', text))
    assert n_figures >= 6
    if font is not None:
        asked = 'font-family="Helvetica, Arial, &#x27;Liberation Sans&#x27;, sans-serif"'
        assert text.count(asked) == n_figures
        text = text.replace(asked, f'font-family="{font}"')
    probed = tmp_path / "probed.html"
    probed.write_text(text.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    proc = subprocess.run(
        [exe, *_flags(tmp_path), "--virtual-time-budget=5000", "--dump-dom", probed.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    m = re.search(
        r"CHARTS=(\d+);NOT_DISPLAYED=(\d+);ERRORS=(\[.*?\]);LAYOUT=(\[.*?\]);END", proc.stdout
    )
    assert m, f"probe did not run; stderr: {proc.stderr[-2000:]}"
    assert int(m.group(1)) == n_figures
    assert int(m.group(2)) == 0, "some figures are not displayed"
    assert m.group(3) == "[]", f"JavaScript errors: {m.group(3)}"
    assert m.group(4) == "[]", f"chart text cut off or overlapping: {m.group(4)}"
    console_errors = [
        ln
        for ln in proc.stderr.splitlines()
        if "CONSOLE" in ln and ("ERROR" in ln or "Uncaught" in ln)
    ]
    assert console_errors == []
    shot = tmp_path / "report.png"
    subprocess.run(
        [exe, *_flags(tmp_path), "--window-size=1200,3000", f"--screenshot={shot}", html.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_prints_to_pdf(tmp_path):
    """Issue 15: the report prints to PDF (page breaks and repeated headers from its CSS)."""
    from sroi.report.pdf import PdfUnavailable, find_chromium, print_pdf
    from sroi.report.sections import STYLE

    assert "break-before: page" in STYLE and "table-header-group" in STYLE
    page = tmp_path / "report.html"
    rows = "".join(f"<tr><td>{i}</td><td>row {i}</td></tr>" for i in range(200))
    page.write_text(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
        f'<body><div class="sroi-report">{STYLE}<h1>Report</h1><h2 id="summary">Summary</h2>'
        f"<table><thead><tr><th>n</th><th>label</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<h2>Next part</h2><p>text</p></div></body></html>"
    )
    if find_chromium() is None:
        with pytest.raises(PdfUnavailable, match="Chromium was not found"):
            print_pdf(page)
        pytest.skip("Chromium is not installed: checked the message instead")
    pdf = print_pdf(page)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and pdf.name == "report.pdf"
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2


def test_pdf_of_a_missing_file_is_an_input_error(tmp_path):
    from sroi.errors import SroiInputError
    from sroi.report.pdf import print_pdf

    with pytest.raises(SroiInputError):
        print_pdf(tmp_path / "nope.html")
