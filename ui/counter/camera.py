"""拍照: a 高拍仪 (a USB document camera: to the PC an ordinary UVC camera) through Qt Multimedia.

Qt Multimedia is imported only when it is needed — when the counter asks whether a camera is present, and when
the dialog opens — so the program's start does not pay for loading it.  A photo leaves the dialog as a QImage
(``captured``); the counter turns it into JPEG bytes (``image_to_jpeg``) and hands them to ``files.prepare``
like any photo: upright, scaled to A4 reading resolution.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Signal
from PySide6.QtGui import QImage, QImageWriter
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

NO_CAMERA = "未检测到高拍仪（摄像头）"
CAMERA_JPEG_QUALITY = 92  # the file is scaled and re-encoded by files.prepare: keep the detail until then


def camera_names() -> list[str]:
    """The cameras this PC has now (a 高拍仪 is one); empty when there is none."""
    from PySide6.QtMultimedia import QMediaDevices

    return [device.description() for device in QMediaDevices.videoInputs()]


def watch_cameras(parent: QObject, changed: Callable[[], object]) -> QObject:
    """Call ``changed`` when a camera is plugged in or out (the returned watcher lives as ``parent``'s child)."""
    from PySide6.QtMultimedia import QMediaDevices

    devices = QMediaDevices(parent)
    devices.videoInputsChanged.connect(changed)
    return devices


def image_to_jpeg(image: QImage) -> bytes:
    """A captured picture as JPEG bytes (what a 高拍仪 photo is stored from)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"jpeg"))
    writer.setQuality(CAMERA_JPEG_QUALITY)
    if image.isNull() or not writer.write(image):
        raise ValueError("拍照失败：没有得到图像，请重新拍照")
    buffer.close()
    return bytes(data.data())


class CameraDialog(QDialog):
    """The 高拍仪's live picture and a 拍照 button; each photo is ``captured`` and the dialog stays open for the
    next page (关闭 when done).

    Signals:
        captured(QImage): a photo was taken.
    """

    captured = Signal(QImage)

    def __init__(self, material: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession, QMediaDevices
        from PySide6.QtMultimediaWidgets import QVideoWidget

        self.setWindowTitle(f"高拍仪拍照 — {material}")
        self.camera = QCamera(QMediaDevices.defaultVideoInput(), self)
        self.session = QMediaCaptureSession(self)
        self.image_capture = QImageCapture(self)
        self.video = QVideoWidget()
        self.video.setMinimumSize(480, 360)
        self.session.setCamera(self.camera)
        self.session.setImageCapture(self.image_capture)
        self.session.setVideoOutput(self.video)
        self.status = QLabel("把材料放在高拍仪下，按“拍照”（空格）")
        self.take_button = QPushButton("拍照")
        self.take_button.setShortcut("Space")
        self.close_button = QPushButton("关闭")
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.take_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.video, 1)
        layout.addLayout(buttons)
        self.take_button.clicked.connect(self.take)
        self.close_button.clicked.connect(self.reject)
        self.image_capture.imageCaptured.connect(self._captured)
        self.image_capture.errorOccurred.connect(self._failed)
        self.finished.connect(self.camera.stop)
        self.camera.start()
        self._count = 0

    def take(self) -> None:
        if self.image_capture.isReadyForCapture():
            self.image_capture.capture()

    def _captured(self, _id: int, image: QImage) -> None:
        self._count += 1
        self.status.setText(f"已拍{self._count}张")
        self.captured.emit(image)

    def _failed(self, _id: int, _error: Any, text: str) -> None:
        self.status.setText(f"拍照失败：{text}")
