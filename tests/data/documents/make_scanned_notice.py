"""Writes scanned-notice.pdf beside this file: three A5 pages that are only images, as a
scanner makes them (grey, 150 dpi, a slight skew, speckles, JPEG), each with a few sentences
of its own, and no text layer. Run once; the PDF is committed (a few dozen KB) so the OCR tests
read the same bytes everywhere: `python tests/data/documents/make_scanned_notice.py`."""

from __future__ import annotations

import io
import random
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PAGES = [
    [
        "NOTICE OF THE RIVER COUNCIL",
        "The harbour lights were repaired",
        "on the third of March by the river",
        "council, at a cost of 4,200 dollars.",
    ],
    [
        "Ferry timetable",
        "From the first of May the morning",
        "ferry leaves the north quay at seven",
        "and returns from the island at nine.",
    ],
    [
        "Fishing permits",
        "Permits for the lower river are sold",
        "at the council office on weekdays;",
        "a yearly permit costs 35 dollars.",
    ],
]
DPI = 150
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


def page_image(lines: list[str], seed: int) -> bytes:
    width, height = round(5.83 * DPI), round(8.27 * DPI)  # A5
    image = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 26)
    for i, line in enumerate(lines):
        draw.text((90, 120 + 52 * i + (30 if i else 0)), line, fill=20, font=font)
    rng = random.Random(seed)
    for _ in range(400):  # scanner dust
        x, y = rng.randrange(width), rng.randrange(height)
        draw.point((x, y), fill=rng.randrange(80, 200))
    image = image.rotate(0.6, resample=Image.Resampling.BICUBIC, fillcolor=250)
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=35)
    return out.getvalue()


def main() -> None:
    pdf = FPDF(format=(148, 210))
    pdf.set_creator("scanner")
    for seed, lines in enumerate(PAGES):
        pdf.add_page()
        pdf.image(io.BytesIO(page_image(lines, seed)), x=0, y=0, w=148, h=210)
    (Path(__file__).parent / "scanned-notice.pdf").write_bytes(bytes(pdf.output()))


if __name__ == "__main__":
    main()
