"""Reading: files in, decoded pixels and their metadata out (DICOM and raster), found by discovery.

The lowest layer: it imports nothing else of PneumoScan but ``errors``. Every
file becomes a ``LoadedImage`` or a typed ``LoadError``; whether we may judge
the image is the scope gate's business, not reading's.
"""

from pneumoscan.reading.discovery import discover, discover_with_problems
from pneumoscan.reading.loader import LoadedImage, is_dicom, load_image

__all__ = ["LoadedImage", "discover", "discover_with_problems", "is_dicom", "load_image"]
