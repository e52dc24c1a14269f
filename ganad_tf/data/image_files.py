"""Finding and decoding image files: PNG, JPEG and BMP, gray or colour.

Decoding keeps gray content one channel (8-bit from any Pillow gray mode)
and colour content RGB; to_channels converts either way. Unreadable files
raise OSError, ValueError or SyntaxError, which callers report and skip.
"""

import glob
import logging
import os
from typing import List, Optional, Tuple

import numpy as np
from PIL import Image

from ganad_tf.errors import ConfigError, DatasetError

logger = logging.getLogger('ganad_tf')

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp')
# Folders of defect masks, skipped when looking for images.
MASKS_DIR = 'masks'
# Pillow modes whose pixels are one intensity.
_GRAY_MODES = ('1', 'L', 'LA', 'La', 'I', 'I;16', 'I;16B', 'I;16L', 'I;16N',
               'F')


def is_image_file(name: str) -> bool:
  return name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith('.')


def walk_images(folder: str, skip_masks: bool = False) -> List[str]:
  """Image files under `folder`, sorted, skipping hidden entries (and
  `masks/` folders if skip_masks)."""
  found = []
  for current, dirs, names in os.walk(folder):
    dirs[:] = sorted(d for d in dirs if not d.startswith('.') and
                     not (skip_masks and d.lower() == MASKS_DIR))
    found.extend(os.path.join(current, n) for n in sorted(names)
                 if is_image_file(n))
  return found


def find_images(spec: str) -> List[str]:
  """Image paths from a file, a glob pattern or a folder (recursive).

  A folder is searched recursively, skipping hidden folders and `masks/`.

  Raises:
    DatasetError: nothing matches.
  """
  if os.path.isdir(spec):
    found = walk_images(spec, skip_masks=True)
  elif os.path.isfile(spec):
    found = [spec]
  else:
    found = sorted(p for p in glob.glob(spec, recursive=True)
                   if os.path.isfile(p) and is_image_file(os.path.basename(p)))
  if not found:
    raise DatasetError(
        f'No PNG/JPEG/BMP images found at {spec!r}. Pass an image file, a '
        'folder, or a quoted glob such as "photos/*.png".')
  return found


def read_header(path: str) -> Tuple[Tuple[int, int], str]:
  """((height, width), mode) without decoding the pixels."""
  with Image.open(path) as image:
    return (image.size[1], image.size[0]), image.mode


def decode(path: str, resize_to: Optional[Tuple[int, int]],
           resize_mode: str = 'stretch') -> np.ndarray:
  """Decodes to uint8 (H, W) if the content is gray, else (H, W, 3),
  brought to resize_to (if given) by resize_mode (see RESIZE_MODES)."""
  with Image.open(path) as image:
    image.load()
    mode = image.mode
    if mode in _GRAY_MODES:
      array = np.asarray(image)
      if array.dtype == bool:
        array = array.astype(np.uint8) * 255
      elif array.dtype != np.uint8:
        # 16-bit and float gray: map the 16-bit range onto 8 bits.
        array = np.clip(np.round(array.astype(np.float64) / 257.0), 0,
                        255).astype(np.uint8)
      if array.ndim == 3:  # LA: drop alpha
        array = array[..., 0]
    else:
      array = np.asarray(image.convert('RGB'))
      if (array[..., 0] == array[..., 1]).all() and (
          array[..., 1] == array[..., 2]).all():
        array = array[..., 0]
  if resize_to is not None and array.shape[:2] != tuple(resize_to):
    array = fit(array, resize_to, resize_mode)
  return np.ascontiguousarray(array)


# How an image reaches --resize_to: 'stretch' scales each axis on its own
# (the aspect ratio changes); 'pad' scales both by one factor to fit inside
# and pads the rest by repeating the edge pixels (the aspect ratio stays).
RESIZE_MODES = ('stretch', 'pad')


def letterbox(source: Tuple[int, int], target: Tuple[int, int]
              ) -> Tuple[Tuple[int, int], Tuple[int, int]]:
  """((height, width) of the scaled image, (top, left) padding) that fit
  `source` inside `target` at one scale factor, centred."""
  scale = min(target[0] / source[0], target[1] / source[1])
  height = min(target[0], max(1, int(round(source[0] * scale))))
  width = min(target[1], max(1, int(round(source[1] * scale))))
  return (height, width), ((target[0] - height) // 2,
                           (target[1] - width) // 2)


def fit(array: np.ndarray, size: Tuple[int, int], mode: str = 'stretch',
        resample=Image.BILINEAR, pad_value: Optional[int] = None
        ) -> np.ndarray:
  """`array` (H, W[, C]) brought to `size` (height, width) by `mode`.

  With 'pad', the border is the repeated edge pixels, or `pad_value`.
  """
  if mode not in RESIZE_MODES:
    raise ConfigError(f'Unknown resize mode {mode!r}; choose one of '
                      f'{RESIZE_MODES} (--resize_mode).')
  if mode == 'stretch':
    return np.asarray(Image.fromarray(array).resize((size[1], size[0]),
                                                    resample))
  (height, width), (top, left) = letterbox(array.shape[:2], size)
  scaled = np.asarray(Image.fromarray(array).resize((width, height),
                                                    resample))
  padding = [(top, size[0] - height - top), (left, size[1] - width - left)]
  padding += [(0, 0)] * (scaled.ndim - 2)
  if pad_value is None:
    return np.pad(scaled, padding, mode='edge')
  return np.pad(scaled, padding, constant_values=pad_value)


def to_channels(array: np.ndarray, channels: int) -> np.ndarray:
  if array.ndim == 2:
    array = array[..., None]
  if array.shape[-1] == channels:
    return array
  if channels == 3:
    return np.repeat(array, 3, axis=-1)
  # ITU-R 601 luma, as Pillow's convert('L').
  wide = array.astype(np.uint32)
  luma = (wide[..., 0] * 299 + wide[..., 1] * 587 + wide[..., 2] * 114 +
          500) // 1000
  return luma.astype(np.uint8)[..., None]


def read_image(path: str, channels: int,
               resize_to: Optional[Tuple[int, int]] = None,
               resize_mode: str = 'stretch') -> np.ndarray:
  """One image as uint8 (H, W, channels); OSError/ValueError if unreadable."""
  return to_channels(decode(path, resize_to, resize_mode), channels)


def read_mask(path: str, size: Tuple[int, int],
              resize_mode: str = 'stretch') -> Optional[np.ndarray]:
  """A bool defect mask at `size`, placed as its image was (resize_mode);
  None, with a warning, if it cannot be decoded."""
  try:
    with Image.open(path) as mask:
      mask = np.asarray(mask.convert('L'))
      if mask.shape != tuple(size):
        # Box filtering then "> 0" keeps thin defects when shrinking; the
        # padding of 'pad' holds no defect.
        mask = fit(mask, size, resize_mode, Image.BOX, pad_value=0)
      return mask > 0
  except (OSError, ValueError, SyntaxError) as error:
    logger.warning('Ignoring mask %s: it cannot be decoded (%s).', path,
                   error)
    return None
