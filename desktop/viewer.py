"""The image viewer: zoom, pan, fit, DICOM window/level, and the heatmap overlay.

Display pixels are limited to 2048 px on the long side when loaded (off the
GUI thread) so re-windowing during a right-drag stays interactive.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPixmap, QWheelEvent
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

from pneumoscan.reading.dicom import linear_window
from pneumoscan.reading.display import heat_rgba, to_uint8
from pneumoscan.reading.loader import LoadedImage

MAX_DISPLAY = 2048
HEAT_SIDE = 224  # heatmap pixmap side before the scene scales it over the image


def gray_qimage(arr: np.ndarray) -> QImage:
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    return QImage(
        arr.data, arr.shape[1], arr.shape[0], arr.strides[0], QImage.Format.Format_Grayscale8
    ).copy()


def downsample_for_display(img: LoadedImage) -> LoadedImage:
    """Shrink pixels (and modality values) to at most MAX_DISPLAY on the long side."""
    h, w = img.pixels.shape
    step = max(1, int(np.ceil(max(h, w) / MAX_DISPLAY)))
    if step <= 1 and img.pixels.dtype == np.uint8:
        return img
    pixels = to_uint8(img.pixels[::step, ::step])
    modality = img.modality[::step, ::step] if img.modality is not None else None
    return LoadedImage(pixels=np.ascontiguousarray(pixels), meta=img.meta, notes=img.notes, modality=modality)


class ImageViewer(QGraphicsView):
    """Wheel zooms, left-drag pans, right-drag changes DICOM window/level, double-click fits."""

    window_changed = Signal(float, float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(Qt.GlobalColor.black)
        self.image_item = QGraphicsPixmapItem()
        self.image_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.heat_item = QGraphicsPixmapItem()
        self.heat_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.image_item)
        self.scene().addItem(self.heat_item)
        self.image: LoadedImage | None = None
        self.wl: tuple[float, float] | None = None
        self.default_window: tuple[float, float] | None = None
        self._wl_anchor: QPointF | None = None
        self.heat_opacity = 0.45
        self.heat_item.setOpacity(self.heat_opacity)
        self.heat_item.setVisible(False)

    # --- content ----------------------------------------------------------------
    def clear(self) -> None:
        self.image = None
        self.image_item.setPixmap(QPixmap())
        self.heat_item.setPixmap(QPixmap())

    def show_image(self, img: LoadedImage, cam: np.ndarray | None) -> None:
        self.image = img
        win = img.meta.get("window") or {}
        if img.modality is not None and "center" in win:
            self.default_window = (float(win["center"]), float(win["width"]))
        else:
            self.default_window = None
        self.wl = self.default_window
        self.image_item.setPixmap(QPixmap.fromImage(gray_qimage(img.pixels)))
        self.set_cam(cam)
        self.scene().setSceneRect(QRectF(self.image_item.pixmap().rect()))
        self.fit()

    def set_cam(self, cam: np.ndarray | None) -> None:
        if cam is None or self.image is None:
            self.heat_item.setPixmap(QPixmap())
            return
        rgba = np.ascontiguousarray(heat_rgba(cam))
        small = QImage(
            rgba.data, rgba.shape[1], rgba.shape[0], rgba.strides[0], QImage.Format.Format_RGBA8888
        ).copy()
        h, w = self.image.pixels.shape
        big = small.scaled(
            w, h, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.heat_item.setPixmap(QPixmap.fromImage(big))

    def set_heatmap_visible(self, visible: bool) -> None:
        self.heat_item.setVisible(visible)

    def set_heat_opacity(self, opacity: float) -> None:
        self.heat_opacity = opacity
        self.heat_item.setOpacity(opacity)

    def fit(self) -> None:
        if not self.image_item.pixmap().isNull():
            self.fitInView(self.image_item, Qt.AspectRatioMode.KeepAspectRatio)

    # --- window / level -----------------------------------------------------------
    def apply_window(self, center: float, width: float) -> None:
        """Re-window the DICOM modality values (MONOCHROME1 stays inverted)."""
        img = self.image
        if img is None or img.modality is None:
            return
        width = max(width, 1.0)
        self.wl = (center, width)
        function = str((img.meta.get("window") or {}).get("function", "LINEAR"))
        unit = linear_window(img.modality, center, width, function)
        if str(img.meta.get("photometric", "")).upper() == "MONOCHROME1":
            unit = 1.0 - unit
        self.image_item.setPixmap(QPixmap.fromImage(gray_qimage((unit * 255 + 0.5).astype(np.uint8))))
        self.window_changed.emit(center, width)

    def reset_window(self) -> None:
        if self.default_window and self.image is not None:
            self.apply_window(*self.default_window)

    # --- mouse ------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        self.scale(1.15**steps, 1.15**steps)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.fit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton and self.wl is not None:
            self._wl_anchor = event.position()
            self._wl_start = self.wl
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._wl_anchor is not None:
            d = event.position() - self._wl_anchor
            c0, w0 = self._wl_start
            scale = max(w0, 1.0) / 256.0
            self.apply_window(c0 - d.y() * scale, max(1.0, w0 + d.x() * scale * 2))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton and self._wl_anchor is not None:
            self._wl_anchor = None
            return
        super().mouseReleaseEvent(event)
