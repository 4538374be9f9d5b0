"""HallDesk's icon, drawn here (no copied artwork): 通 in white on the hall's blue, with a counter's ledge.

``python -m freeze.icon`` writes ``resources/icons/halldesk.png`` (256 px, the window icon) and
``resources/icons/halldesk.ico`` (16–256 px, the Windows program icon); both are committed, so a build needs
no drawing.  The character is drawn with the bundled WenQuanYi Micro Hei font.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
FONT = ROOT / "resources" / "fonts" / "wqy-microhei.ttc"
BLUE = (31, 95, 168, 255)
LEDGE = (242, 177, 52, 255)
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def draw(size: int = 256) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=BLUE)
    pen.rectangle((size * 0.16, size * 0.78, size * 0.84, size * 0.84), fill=LEDGE)
    font = ImageFont.truetype(str(FONT), int(size * 0.62))
    pen.text((size / 2, size * 0.44), "通", font=font, fill="white", anchor="mm")
    return image


def write(folder: Path = ICONS) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    image = draw(256)
    png, ico = folder / "halldesk.png", folder / "halldesk.ico"
    image.save(png)
    image.save(ico, sizes=ICO_SIZES)
    return png, ico


if __name__ == "__main__":
    for path in write():
        print(path)
