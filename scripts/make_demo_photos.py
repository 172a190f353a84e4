"""Draw the demo registry's gallery pictures (content/assets/gallery/): simple scenes of flat shapes, a few KB each.

No photograph and no real person: figures are circles and bars. Run again to redraw them:
    .venv/bin/python scripts/make_demo_photos.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "content" / "assets" / "gallery"
SKY, GRASS, WATER, RED, GOLD, WALL = "#cfe3f2", "#7cb06a", "#5b8fc7", "#c62828", "#f2c230", "#efe6d2"


def person(draw: ImageDraw.ImageDraw, x: int, ground: int, scale: int = 1, shirt: str = "#3d5a80") -> None:
    """A standing figure of flat shapes: a head and a body, feet at `ground`."""
    draw.rounded_rectangle((x - 9 * scale, ground - 46 * scale, x + 9 * scale, ground), 6 * scale, fill=shirt)
    draw.ellipse((x - 8 * scale, ground - 64 * scale, x + 8 * scale, ground - 48 * scale), fill="#e8c39e")


def flag(draw: ImageDraw.ImageDraw, x: int, top: int, width: int = 60) -> None:
    draw.line((x, top, x, top + width * 2), fill="#6d4c41", width=4)
    draw.rectangle((x, top, x + width, top + width * 2 // 3), fill=RED)
    draw.regular_polygon((x + width // 5, top + width // 5, width // 10), 5, fill=GOLD)


def canal() -> Image.Image:
    """溪南村: members clearing the canal, 1200 pixels wide (so the build makes three widths)."""
    image = Image.new("RGB", (1200, 800), SKY)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 1200, 800), fill=GRASS)
    draw.polygon([(420, 800), (560, 380), (700, 380), (900, 800)], fill=WATER)
    for x in (180, 260, 340, 960, 1040):
        person(draw, x, 560, 2, shirt=RED if x % 3 else "#3d5a80")
        draw.line((x + 20, 470, x + 60, 580), fill="#8d6e63", width=6)  # a rake
    flag(draw, 80, 240, 90)
    return image


def study() -> Image.Image:
    """The village office: a red banner and rows of members listening."""
    image = Image.new("RGB", (640, 427), WALL)
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 40, 520, 100), fill=RED)
    draw.rectangle((0, 330, 640, 427), fill="#b08968")
    for row, ground in enumerate((300, 360, 420)):
        for x in range(80 + row * 20, 600, 90):
            person(draw, x, ground, 1, shirt="#455a64")
    return image


def visit() -> Image.Image:
    """A house with a red door: the members' visit to an old man living alone."""
    image = Image.new("RGB", (640, 427), SKY)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, 640, 427), fill=GRASS)
    draw.rectangle((180, 180, 460, 340), fill="#f5f5f5")
    draw.polygon([(160, 185), (320, 90), (480, 185)], fill="#546e7a")
    draw.rectangle((295, 250, 345, 340), fill=RED)
    person(draw, 120, 350, 1, shirt=RED)
    person(draw, 520, 350, 1, shirt=RED)
    return image


def sweep() -> Image.Image:
    """白富斗村: the village road swept before May Day, trees on both sides."""
    image = Image.new("RGB", (800, 533), SKY)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 800, 533), fill=GRASS)
    draw.polygon([(330, 300), (470, 300), (700, 533), (100, 533)], fill="#bdbdbd")
    for x in (60, 200, 600, 740):
        draw.rectangle((x - 8, 220, x + 8, 320), fill="#6d4c41")
        draw.ellipse((x - 50, 150, x + 50, 250), fill="#388e3c")
    for x in (300, 420, 520):
        person(draw, x, 470, 2, shirt=RED)
        draw.line((x + 16, 420, x + 40, 480), fill="#8d6e63", width=5)  # a broom
    return image


def patrol() -> Image.Image:
    """Night patrol: a lantern-lit lane under the moon."""
    image = Image.new("RGB", (640, 427), "#1a237e")
    draw = ImageDraw.Draw(image)
    draw.ellipse((500, 40, 570, 110), fill="#fff9c4")
    draw.rectangle((0, 320, 640, 427), fill="#37474f")
    for x in (200, 300):
        person(draw, x, 380, 1, shirt=RED)
        draw.ellipse((x + 14, 320, x + 30, 336), fill=GOLD)  # a torch
    return image


def poster() -> Image.Image:
    """The video's poster: a meeting hall with the flag, a Saturday morning."""
    image = Image.new("RGB", (960, 540), WALL)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 420, 960, 540), fill="#b08968")
    flag(draw, 430, 60, 120)
    for x in range(100, 900, 110):
        person(draw, x, 500, 1, shirt="#455a64")
    return image


def classroom() -> Image.Image:
    """海安: a village classroom, a blackboard and a speaker."""
    image = Image.new("RGB", (640, 427), WALL)
    draw = ImageDraw.Draw(image)
    draw.rectangle((140, 60, 500, 200), fill="#2e7d32")
    draw.line((180, 110, 380, 110), fill="#ffffff", width=4)
    draw.line((180, 150, 440, 150), fill="#ffffff", width=4)
    person(draw, 560, 330, 2, shirt=RED)
    for x in range(60, 480, 80):
        person(draw, x, 410, 1, shirt="#455a64")
    return image


PICTURES = {
    "xinan-qushui.png": canal,
    "xinan-xuexi.jpg": study,
    "xinan-zoufang.jpg": visit,
    "baifudou-saochu.jpg": sweep,
    "baifudou-xunfang.jpg": patrol,
    "changchao-fengmian.jpg": poster,
    "banden-ketang.jpg": classroom,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, draw in PICTURES.items():
        image = draw()
        if name.endswith(".png"):
            image.quantize(16).save(OUT / name, optimize=True)
        else:
            image.save(OUT / name, quality=60, optimize=True)
        print(name, (OUT / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
