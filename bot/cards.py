"""QR codes and printable cards for deep links, for peer workers to hand out."""

from __future__ import annotations

import io
from pathlib import Path

import segno

CARD_SIZE = (1240, 1748)  # A6 at 300 dpi
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")  # Debian: fonts-dejavu-core


def write_qr(url: str, path: Path) -> None:
    """PNG or SVG by the file's extension."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValueError("the QR file must end in .png or .svg")
    segno.make(url, error="m").save(str(path), scale=12, border=4)


def _font(size: int, bold: bool = False):  # -> ImageFont.FreeTypeFont
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _FONT_DIRS:
        if (Path(folder) / name).exists():
            return ImageFont.truetype(str(Path(folder) / name), size)
    return ImageFont.load_default(size=size)  # no Cyrillic in Pillow's own font: install fonts-dejavu-core


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def write_card(url: str, title: str, tagline: str, path: Path) -> None:
    """A printable card: the topic's title, the QR code, one line saying the bot is anonymous, the link."""
    from PIL import Image, ImageDraw

    suffix = path.suffix.lower()
    if suffix not in (".png", ".pdf"):
        raise ValueError("the card file must end in .pdf or .png")
    card = Image.new("RGB", CARD_SIZE, "white")
    draw = ImageDraw.Draw(card)
    width, height = CARD_SIZE
    margin = 90
    y = margin
    title_font = _font(88, bold=True)
    for line in _wrap(draw, title, title_font, width - 2 * margin):
        draw.text((width / 2, y), line, font=title_font, fill="black", anchor="ma")
        y += 104
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=20, border=2)
    buffer.seek(0)
    qr = Image.open(buffer).convert("RGB")
    side = min(width - 2 * margin, height - y - 420)
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    y += 40
    card.paste(qr, ((width - side) // 2, y))
    y += side + 50
    body = _font(52)
    for line in _wrap(draw, tagline, body, width - 2 * margin):
        draw.text((width / 2, y), line, font=body, fill="black", anchor="ma")
        y += 66
    draw.text((width / 2, height - margin), url, font=_font(34), fill="#444444", anchor="md")
    if suffix == ".pdf":
        card.save(str(path), "PDF", resolution=300.0)
    else:
        card.save(str(path), "PNG", dpi=(300, 300))
