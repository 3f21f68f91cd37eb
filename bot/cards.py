"""QR codes and printable cards for deep links, for peer workers to hand out.

A card says what it opens (the entry's or flow's title, never a raw id), how to use it (scan with the phone's
camera), and the emergency number: a card is often read by someone who needs help now. The PDF is vector:
its text stays text (searchable, sharp at any print size, readable by screen readers) and the QR code is drawn
module by module. The PNG is a 300 dpi raster of the same layout.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import segno

from .content.models import Content

CARD_SIZE = (1240, 1748)  # A6 at 300 dpi
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")  # Debian: fonts-dejavu-core

# The card's own lines, per locale. A locale's strings.yaml may override them (card_scan, card_emergency).
_SCAN = {
    "en": "Scan with your phone's camera: it opens in Telegram",
    "ru": "Наведи камеру телефона на код: откроется в Telegram",
    "uk": "Наведи камеру телефону на код: відкриється в Telegram",
}
_SCAN_WEB = {
    "en": "Scan with your phone's camera: it opens the chat in your browser",
    "ru": "Наведи камеру телефона на код: чат откроется в браузере",
    "uk": "Наведи камеру телефону на код: чат відкриється в браузері",
}
_EMERGENCY = {
    "en": "Emergency? Call {emergency}",
    "ru": "Экстренная ситуация? Звони {emergency}",
    "uk": "Надзвичайна ситуація? Телефонуй {emergency}",
}


@dataclass(frozen=True, slots=True)
class CardText:
    title: str
    tagline: str
    scan: str
    emergency: str  # the whole line, number included


def _fill(template: str, number: str) -> str:
    return template.replace("{emergency}", number)


def _clean_label(label: str) -> str:
    """A button label as a title: without the leading emoji a print font has no glyph for."""
    return "".join(ch for ch in label if unicodedata.category(ch) not in ("So", "Cs", "Mn") or ch.isalnum()).strip()


def card_title(content: Content, target: str, locale: str) -> str:
    """The entry's title, the flow's title, or (a flow without one) the label of a button that opens it."""
    entry = content.entry(locale, target)
    if entry is not None:
        return entry.title
    flow = content.flows.get(target)
    if flow is None:
        return target
    for code in content.chain(locale):
        if flow.title.get(code):
            return flow.title[code]
    menu_first = sorted(content.flows.values(), key=lambda f: f.id != "menu")  # the menu's labels are the plainest
    for code in content.chain(locale):
        for other in menu_first:
            for step in other.steps.values():
                for button in step.buttons:
                    if button.kind == "flow" and button.target == target and button.label.get(code):
                        label = _clean_label(button.label[code])
                        if label:
                            return label
    return target


def card_text(content: Content, target: str, locale: str, country: str | None = None, *, web: bool = False) -> CardText:
    """`web`: the card's code opens the web chat, not Telegram."""
    strings = content.locales[locale].strings if locale in content.locales else {}
    number = content.emergency_numbers(locale, country)
    if web:
        scan = strings.get("card_scan_web") or _SCAN_WEB.get(locale) or _SCAN_WEB["en"]
    else:
        scan = strings.get("card_scan") or _SCAN.get(locale) or _SCAN["en"]
    emergency = strings.get("card_emergency") or _EMERGENCY.get(locale) or _EMERGENCY["en"]
    tagline = strings.get("card_tagline_web", "") if web else strings.get("card_tagline", "")
    return CardText(card_title(content, target, locale), tagline, scan, _fill(emergency, number))


def write_qr(url: str, path: Path) -> None:
    """PNG or SVG by the file's extension."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValueError("the QR file must end in .png or .svg")
    segno.make(url, error="m").save(str(path), scale=12, border=4)


def _font_path(bold: bool) -> Path | None:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _FONT_DIRS:
        if (Path(folder) / name).exists():
            return Path(folder) / name
    return None


def _font(size: int, bold: bool = False):  # -> ImageFont.FreeTypeFont
    from PIL import ImageFont

    path = _font_path(bold)
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)  # no Cyrillic in Pillow's own font: install fonts-dejavu-core


def _wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if measure(trial) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def write_card(url: str, text: CardText, path: Path) -> None:
    """A printable A6 card: title, QR code, how to scan it, the tagline, the emergency number, the link."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        _write_pdf(url, text, path)
    elif suffix == ".png":
        _write_png(url, text, path)
    else:
        raise ValueError("the card file must end in .pdf or .png")


def _write_png(url: str, text: CardText, path: Path) -> None:
    from PIL import Image, ImageDraw

    card = Image.new("RGB", CARD_SIZE, "white")
    draw = ImageDraw.Draw(card)
    width, height = CARD_SIZE
    margin = 90
    inner = width - 2 * margin
    fonts = {"title": _font(84, bold=True), "scan": _font(40), "tag": _font(44), "sos": _font(48, bold=True), "url": _font(32)}

    def lines(words: str, font, room: int = inner) -> list[str]:
        return _wrap(words, room, lambda s: draw.textlength(s, font=font))

    def block(rows: list[str], font, step: int, y: int, fill: str = "black") -> int:
        for row in rows:
            draw.text((width / 2, y), row, font=font, fill=fill, anchor="ma")
            y += step
        return y

    title, scan, tag = lines(text.title, fonts["title"]), lines(text.scan, fonts["scan"]), lines(text.tagline, fonts["tag"])
    sos = lines(text.emergency, fonts["sos"], inner - 40)
    sos_height = 62 * len(sos) + 28
    below = 30 + 52 * len(scan) + 18 + 56 * len(tag) + 24 + sos_height + 30 + margin // 2 + 40  # under the QR code
    y = block(title, fonts["title"], 100, margin) + 30
    side = max(300, min(inner, height - y - below))  # the QR code takes what the text leaves
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=20, border=2)
    buffer.seek(0)
    qr = Image.open(buffer).convert("RGB").resize((side, side), Image.Resampling.NEAREST)
    card.paste(qr, ((width - side) // 2, y))
    y += side + 30
    y = block(scan, fonts["scan"], 52, y, fill="#222222") + 18
    y = block(tag, fonts["tag"], 56, y) + 24
    draw.rounded_rectangle((margin, y, width - margin, y + sos_height), radius=24, fill="#b00020")
    block(sos, fonts["sos"], 62, y + 16, fill="white")
    draw.text((width / 2, height - margin / 2), url, font=fonts["url"], fill="#444444", anchor="md")
    card.save(str(path), "PNG", dpi=(300, 300))


def _pdf_fonts() -> tuple[str, str]:
    """Register DejaVu (Cyrillic) with reportlab once; Helvetica when it is missing (Latin only)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold = _font_path(False), _font_path(True)
    if regular is None or bold is None:
        return "Helvetica", "Helvetica-Bold"
    if "HrbotSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("HrbotSans", str(regular)))
        pdfmetrics.registerFont(TTFont("HrbotSans-Bold", str(bold)))
    return "HrbotSans", "HrbotSans-Bold"


def _write_pdf(url: str, text: CardText, path: Path) -> None:
    from reportlab.lib.colors import HexColor, black, white
    from reportlab.lib.pagesizes import A6
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    regular, bold = _pdf_fonts()
    width, height = A6
    margin = 8 * mm
    inner = width - 2 * margin
    pdf = canvas.Canvas(str(path), pagesize=A6, pageCompression=1)
    pdf.setTitle(text.title)
    pdf.setSubject(url)
    pdf.setCreator("hrbot")

    def block(words: str, font: str, size: float, y: float, colour=black, box: float = 0) -> float:
        """Centred lines from the top down; returns the y under the last one."""
        pdf.setFont(font, size)
        pdf.setFillColor(colour)
        for line in _wrap(words, inner - box, lambda s: stringWidth(s, font, size)):
            y -= size * 1.2
            pdf.drawCentredString(width / 2, y, line)
        return y

    size = 11  # the emergency line
    sos = _wrap(text.emergency, inner - 6 * mm, lambda s: stringWidth(s, bold, size))
    sos_height = len(sos) * size * 1.2 + 3 * mm
    count = len(_wrap(text.scan, inner, lambda s: stringWidth(s, regular, 8.5)))
    tags = len(_wrap(text.tagline, inner, lambda s: stringWidth(s, regular, 9.5)))
    below = 1 * mm + count * 8.5 * 1.2 + 1.5 * mm + tags * 9.5 * 1.2 + 2.5 * mm + sos_height + 2 * mm + margin  # under the QR code
    y = block(text.title, bold, 19, height - margin + 4)
    qr = segno.make(url, error="m")
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=0)]
    top = y - 4 * mm
    side = max(30 * mm, min(inner, top - below))  # the QR code takes what the text leaves
    module = side / len(rows)
    left = (width - side) / 2
    pdf.setFillColor(black)
    for r, row in enumerate(rows):  # one rectangle per run of dark modules: a true vector QR code
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(left + start * module, top - (r + 1) * module, (c - start) * module, module, stroke=0, fill=1)
            else:
                c += 1
    y = top - side - 1 * mm
    y = block(text.scan, regular, 8.5, y, HexColor("#222222")) - 1.5 * mm
    y = block(text.tagline, regular, 9.5, y) - 2.5 * mm
    pdf.setFillColor(HexColor("#b00020"))
    pdf.roundRect(margin, y - sos_height, inner, sos_height, 3 * mm, stroke=0, fill=1)
    block(text.emergency, bold, size, y - 1 * mm, white, box=6 * mm)
    pdf.setFont(regular, 7)
    pdf.setFillColor(HexColor("#444444"))
    pdf.drawCentredString(width / 2, margin / 2, url)
    pdf.showPage()
    pdf.save()
