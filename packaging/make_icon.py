"""Draws the application icon (two lungs on a blue tile) into desktop/resources/."""

from pathlib import Path

from PIL import Image, ImageDraw


def main() -> None:
    size = 256
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((8, 8, size - 8, size - 8), radius=48, fill=(22, 84, 150, 255))
    d.ellipse((44, 52, 124, 212), fill=(235, 240, 245, 255))
    d.ellipse((132, 52, 212, 212), fill=(235, 240, 245, 255))
    d.rectangle((120, 30, 136, 120), fill=(235, 240, 245, 255))
    d.ellipse((150, 120, 196, 170), fill=(200, 30, 50, 255))
    out = Path(__file__).resolve().parent.parent / "desktop" / "resources"
    out.mkdir(parents=True, exist_ok=True)
    img.save(out / "pneumoscan.png")
    img.save(out / "pneumoscan.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])


if __name__ == "__main__":
    main()
