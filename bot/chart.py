"""Use over time as a line chart (PNG or SVG), for a service's report. No plotting library needed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from .storage import CounterKey

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
WIDTH, HEIGHT = 1200, 640
LEFT, RIGHT, TOP, BOTTOM = 80, 260, 60, 70


def series(counts: Iterable[tuple[CounterKey, int]], by: str = "target", top: int = 8) -> tuple[list[str], dict[str, list[int]]]:
    """Days (every day in the range, gaps as 0) and one line per target or campaign (the `top` busiest)."""
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    days: set[str] = set()
    for key, n in counts:
        name = key.campaign if by == "campaign" else key.target
        if by == "campaign" and not name:
            continue
        per[name][key.day] += n
        days.add(key.day)
    if not days:
        return [], {}
    first, last = dt.date.fromisoformat(min(days)), dt.date.fromisoformat(max(days))
    axis = [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    busiest = sorted(per, key=lambda k: -sum(per[k].values()))[:top]
    return axis, {name: [per[name].get(day, 0) for day in axis] for name in busiest}


def _points(axis: list[str], values: list[int], peak: int) -> list[tuple[float, float]]:
    span_x = WIDTH - LEFT - RIGHT
    span_y = HEIGHT - TOP - BOTTOM
    step = span_x / max(len(axis) - 1, 1)
    return [(LEFT + i * step, TOP + span_y - (v / peak) * span_y) for i, v in enumerate(values)]


def write_chart(counts: Iterable[tuple[CounterKey, int]], path: Path, by: str = "target", title: str = "") -> int:
    """Write the chart; return how many lines it has. PNG or SVG by the file's extension."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValueError("the chart file must end in .png or .svg")
    axis, lines = series(counts, by)
    peak = max((max(v) for v in lines.values()), default=1) or 1
    title = title or f"Use per day by {by}"
    (_svg if suffix == ".svg" else _png)(axis, lines, peak, path, title)
    return len(lines)


def _ticks(axis: list[str]) -> list[int]:
    if not axis:
        return []
    every = max(1, len(axis) // 8)
    return list(range(0, len(axis), every))


def _svg(axis: list[str], lines: dict[str, list[int]], peak: int, path: Path, title: str) -> None:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="14">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="34" font-size="22">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        f'<text x="{LEFT - 10}" y="{TOP + 5}" text-anchor="end">{peak}</text>',
        f'<text x="{LEFT - 10}" y="{HEIGHT - BOTTOM + 5}" text-anchor="end">0</text>',
    ]
    for i in _ticks(axis):
        x, _ = _points(axis, [0] * len(axis), peak)[i]
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 24}" text-anchor="middle">{axis[i][5:]}</text>')
    for n, (name, values) in enumerate(lines.items()):
        colour = PALETTE[n % len(PALETTE)]
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in _points(axis, values, peak))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="3" points="{pts}"/>')
        y = TOP + 24 * n
        parts.append(f'<rect x="{WIDTH - RIGHT + 20}" y="{y}" width="14" height="14" fill="{colour}"/>')
        parts.append(f'<text x="{WIDTH - RIGHT + 42}" y="{y + 12}">{escape(name)} ({sum(values)})</text>')
    if not lines:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no counts yet</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def _png(axis: list[str], lines: dict[str, list[int]], peak: int, path: Path, title: str) -> None:
    from PIL import Image, ImageDraw

    from .cards import _font

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    small, big = _font(14), _font(22)
    draw.text((LEFT, 22), title, font=big, fill="black")
    draw.line([(LEFT, HEIGHT - BOTTOM), (WIDTH - RIGHT, HEIGHT - BOTTOM)], fill="#333333", width=1)
    draw.line([(LEFT, TOP), (LEFT, HEIGHT - BOTTOM)], fill="#333333", width=1)
    draw.text((LEFT - 10, TOP), str(peak), font=small, fill="black", anchor="rm")
    draw.text((LEFT - 10, HEIGHT - BOTTOM), "0", font=small, fill="black", anchor="rm")
    base = _points(axis, [0] * len(axis), peak)
    for i in _ticks(axis):
        draw.text((base[i][0], HEIGHT - BOTTOM + 18), axis[i][5:], font=small, fill="black", anchor="mm")
    for n, (name, values) in enumerate(lines.items()):
        colour = PALETTE[n % len(PALETTE)]
        pts = _points(axis, values, peak)
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=3)
        else:
            draw.ellipse([pts[0][0] - 4, pts[0][1] - 4, pts[0][0] + 4, pts[0][1] + 4], fill=colour)
        y = TOP + 24 * n
        draw.rectangle([WIDTH - RIGHT + 20, y, WIDTH - RIGHT + 34, y + 14], fill=colour)
        draw.text((WIDTH - RIGHT + 42, y + 7), f"{name} ({sum(values)})", font=small, fill="black", anchor="lm")
    if not lines:
        draw.text((WIDTH / 2, HEIGHT / 2), "no counts yet", font=big, fill="black", anchor="mm")
    image.save(str(path), "PNG")
