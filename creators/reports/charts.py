"""Server-side SVG charts (no JavaScript, no CDN): trend lines, the funnel and top creators.

Each chart is an accessible <svg role="img"> with a <title> and <desc> that state the numbers.
"""

from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH, HEIGHT, PAD = 640, 220, 36
COLOURS = ("#2e5aac", "#d9480f", "#2b8a3e", "#862e9c", "#5c5f66")


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[str, Decimal | int]]  # (label, value)


def _scale(value, top) -> float:
    return 0.0 if not top else float(value) / float(top)


def line_chart(title: str, series: list[Series]) -> str:
    """One line per series over shared x labels; each series scaled to its own maximum."""
    labels = [label for label, _ in series[0].points] if series else []
    count = max(len(labels) - 1, 1)
    paths, legend = [], []
    for index, line in enumerate(series):
        top = max((value for _, value in line.points), default=0)
        coords = [
            (PAD + (WIDTH - 2 * PAD) * i / count, HEIGHT - PAD - (HEIGHT - 2 * PAD) * _scale(value, top))
            for i, (_, value) in enumerate(line.points)
        ]
        d = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
        colour = COLOURS[index % len(COLOURS)]
        paths.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        paths.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in coords)
        legend.append(
            f'<text x="{PAD + 160 * index}" y="16" fill="{colour}" font-size="12">{escape(line.name)} (max {top})</text>'
        )
    axis = f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>'
    ticks = ""
    if labels:
        ticks = (
            f'<text x="{PAD}" y="{HEIGHT - 12}" font-size="11">{escape(labels[0])}</text>'
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 12}" font-size="11" text-anchor="end">{escape(labels[-1])}</text>'
        )
    description = "; ".join(
        f"{line.name}: " + ", ".join(f"{label} {value}" for label, value in line.points) for line in series
    )
    return _svg(title, description, axis + "".join(paths) + "".join(legend) + ticks)


def bar_chart(title: str, bars: list[tuple[str, Decimal | int]], *, unit: str = "") -> str:
    """Horizontal bars, longest first as given (used for the funnel and top creators)."""
    top = max((value for _, value in bars), default=0)
    row_height = (HEIGHT - 2 * PAD) / max(len(bars), 1)
    parts = []
    for index, (label, value) in enumerate(bars):
        y = PAD + index * row_height
        width = (WIDTH - 2 * PAD - 160) * _scale(value, top)
        parts.append(
            f'<text x="{PAD}" y="{y + row_height * 0.65:.1f}" font-size="12">{escape(label)}</text>'
            f'<rect x="{PAD + 150}" y="{y + 2:.1f}" width="{width:.1f}" height="{max(row_height - 6, 4):.1f}" '
            f'fill="{COLOURS[index % len(COLOURS)]}"/>'
            f'<text x="{PAD + 156 + width:.1f}" y="{y + row_height * 0.65:.1f}" font-size="12">{value}{unit}</text>'
        )
    description = ", ".join(f"{label}: {value}{unit}" for label, value in bars)
    return _svg(title, description, "".join(parts))


def _svg(title: str, description: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="kolshop-chart"><title>{escape(title)}</title>'
        f"<desc>{escape(description)}</desc>{body}</svg>"
    )
