"""Render the application's SVG icon to a Windows .ico (16 to 256 pixels) and to PNG files.

Run at build time by packaging/build_support.py (the Windows executables' icon) and usable by hand:
``python packaging/make_icons.py packaging/linux/licensing.svg build/licensing.ico``. The .ico is
written by hand (PNG-compressed entries, the format Windows has read since Vista) because Qt's ico
writer stores only one size.
"""

import struct
import sys
from pathlib import Path

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn at ``size`` x ``size`` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
    from PySide6.QtSvg import QSvgRenderer

    # QImage/QPainter need a QGuiApplication for fonts; none is shown. Kept alive for later calls.
    if QGuiApplication.instance() is None:
        render_png.app = QGuiApplication([sys.argv[0], "-platform", "offscreen"])  # type: ignore[attr-defined]
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a readable SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"png"))
    if not writer.write(image):
        raise ValueError(f"{svg}: cannot encode PNG: {writer.errorString()}")
    buffer.close()
    return bytes(data.data())


def ico_bytes(images: dict[int, bytes]) -> bytes:
    """An ICO file holding one PNG per size (``{size: png bytes}``, sizes 1..256)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    directory = b""
    payload = b""
    offset = len(header) + 16 * len(images)
    for size, png in sorted(images.items()):
        if not 1 <= size <= 256:
            raise ValueError(f"an icon size must be 1 to 256 pixels, not {size}")
        # Width and height 0 mean 256; 32 bits per pixel; the image data is the PNG file itself.
        directory += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset)
        payload += png
        offset += len(png)
    return header + directory + payload


def render_ico(svg: Path, target: Path, sizes: tuple[int, ...] = ICO_SIZES) -> None:
    """Write ``target`` (.ico) from ``svg`` at every size in ``sizes``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(ico_bytes({size: render_png(svg, size) for size in sizes}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: make_icons.py ICON.svg OUTPUT.ico", file=sys.stderr)
        raise SystemExit(2)
    render_ico(Path(sys.argv[1]), Path(sys.argv[2]))
