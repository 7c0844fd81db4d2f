"""One self-contained HTML page of reports: inline CSS and SVG charts, no script, no link.

It opens from a file or a mail attachment without a network, and prints well.
"""

from __future__ import annotations

from html import escape

from tcrm.reports.base import Chart, Report, Section, cell_text

BAR_HEIGHT = 20
GAP = 6
LABEL_WIDTH = 210
BAR_WIDTH = 380
TEXT_WIDTH = 230
WIDTH = LABEL_WIDTH + BAR_WIDTH + TEXT_WIDTH

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933;
  margin: 2rem auto; max-width: 960px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0; }
h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 2px solid #d9e2ec; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.meta, .sub { color: #616e7c; margin-top: .2rem; }
nav a { margin-right: .8rem; }
table { border-collapse: collapse; margin: .4rem 0 1rem; }
th, td { border-bottom: 1px solid #e4e7eb; padding: .25rem .6rem; text-align: left; }
th { background: #f5f7fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.notes { color: #8d2b0b; }
.empty { color: #616e7c; font-style: italic; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; }
svg { display: block; margin: .4rem 0 1rem; max-width: 100%; height: auto; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2933; }
.bar { fill: #2f80ed; } .outer { fill: #b3d1fb; } .track { fill: #e4e7eb; }
.over { fill: #27ab83; } .goal { stroke: #1f2933; stroke-dasharray: 3 2; }
"""


def page(reports: list[Report], workspace: str) -> str:
    """The HTML document for ``reports``."""
    first = reports[0] if reports else None
    generated = first.inputs.now.strftime("%Y-%m-%d %H:%M") if first else ""
    zone = first.inputs.settings.timezone if first else ""
    nav = " ".join(f'<a href="#{r.name}">{escape(r.title)}</a>' for r in reports)
    body = "\n".join(_report(r) for r in reports)
    title = f"{workspace}: reports" if len(reports) != 1 else f"{workspace}: {reports[0].title}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n"
        f'<p class="meta">Generated {escape(generated)} ({escape(zone)}) by tcrm. '
        "Every figure is defined in docs/reports.md.</p>\n"
        f"<nav>{nav}</nav>\n{body}\n</body>\n</html>\n"
    )


def _report(report: Report) -> str:
    parts = [
        f'<section id="{escape(report.name)}">',
        f"<h2>{escape(report.title)}</h2>",
        f'<p class="sub">{escape(report.subtitle)}</p>',
    ]
    parts += [
        f"<figure>\n<figcaption>{escape(chart.title)}</figcaption>\n{chart_svg(chart)}\n</figure>"
        for chart in report.charts()
        if chart.bars
    ]
    parts += [_table(section) for section in report.sections()]
    if report.notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
        parts.append(f'<ul class="notes">{items}</ul>')
    parts.append("</section>")
    return "\n".join(parts)


def _table(section: Section) -> str:
    head = "".join(
        f'<th class="num">{escape(c.header)}</th>' if c.numeric else f"<th>{escape(c.header)}</th>"
        for c in section.columns
    )
    if not section.rows:
        return f'<h3>{escape(section.title)}</h3>\n<p class="empty">{escape(section.empty)}</p>'
    rows = []
    for row in section.rows:
        cells = "".join(
            f'<td class="num">{escape(cell_text(v, c.kind))}</td>'
            if c.numeric
            else f"<td>{escape(cell_text(v, c.kind))}</td>"
            for v, c in zip(row, section.columns, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return (
        f"<h3>{escape(section.title)}</h3>\n"
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def chart_svg(chart: Chart) -> str:
    """Horizontal bars; progress bars against a track of 100% with the goal line."""
    bars = chart.bars
    top = 22 if chart.legend else 4
    height = top + len(bars) * (BAR_HEIGHT + GAP) + 4
    top_value = max((b.value for b in bars), default=0.0)
    scale_max = max(100.0, top_value) if chart.kind == "progress" else (top_value or 1.0)
    out = [
        f'<svg class="chart" data-chart="{escape(chart.key)}" '
        f'role="img" aria-label="{escape(chart.title)}" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}">',
        f"<title>{escape(chart.title)}</title>",
    ]
    if chart.legend:
        outer, inner = chart.legend
        out.append(
            f'<rect class="outer" x="{LABEL_WIDTH}" y="4" width="12" height="12"/>'
            f'<text x="{LABEL_WIDTH + 16}" y="14">{escape(outer)}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH + 90}" y="4" width="12" height="12"/>'
            f'<text x="{LABEL_WIDTH + 106}" y="14">{escape(inner)}</text>'
        )
    for i, bar in enumerate(bars):
        y = top + i * (BAR_HEIGHT + GAP)
        mid = y + BAR_HEIGHT / 2 + 4
        width = _width(bar.value, scale_max)
        out.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{mid:.0f}" text-anchor="end">'
            f"{escape(_clip(bar.label))}</text>"
        )
        if chart.kind == "progress":
            full = _width(100.0, scale_max)
            klass = "over" if bar.value >= 100 else "bar"
            out.append(
                f'<rect class="track" x="{LABEL_WIDTH}" y="{y}" width="{full:.1f}" '
                f'height="{BAR_HEIGHT}"/>'
                f'<rect class="{klass}" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT}"/>'
                f'<line class="goal" x1="{LABEL_WIDTH + full:.1f}" y1="{y - 2}" '
                f'x2="{LABEL_WIDTH + full:.1f}" y2="{y + BAR_HEIGHT + 2}"/>'
            )
        elif bar.inner is not None:
            out.append(
                f'<rect class="outer" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT}"/>'
                f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" '
                f'width="{_width(bar.inner, scale_max):.1f}" height="{BAR_HEIGHT}"/>'
            )
        else:
            out.append(
                f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT}"/>'
            )
        text_x = LABEL_WIDTH + max(
            width, _width(100.0, scale_max) if chart.kind == "progress" else 0
        )
        out.append(f'<text x="{text_x + 6:.1f}" y="{mid:.0f}">{escape(bar.text)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _width(value: float, scale_max: float) -> float:
    if scale_max <= 0 or value <= 0:
        return 0.0
    return min(value, scale_max) / scale_max * BAR_WIDTH


def _clip(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
