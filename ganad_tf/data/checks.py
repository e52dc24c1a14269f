"""Validation of image arrays handed to training and scoring."""

from typing import Optional

import numpy as np

from ganad_tf.errors import InputError


def check_images(images: np.ndarray, what: str,
                 expected_shape: Optional[tuple] = None) -> np.ndarray:
  """Validates a float image batch scaled to [-1, 1].

  Args:
    images: (N, H, W, C) array.
    what: how to call the images in error messages.
    expected_shape: the (H, W, C) the model expects, if known.

  Returns:
    The images as float32.

  Raises:
    InputError: wrong rank, shape, dtype, range or non-finite pixels.
  """
  images = np.asarray(images)
  if images.ndim != 4:
    raise InputError(f'{what} must be a 4-D array (count, height, width, '
                     f'channels); got shape {images.shape}. Add a channel '
                     'axis for grayscale images (images[..., None]).')
  if expected_shape is not None and images.shape[1:] != tuple(expected_shape):
    raise InputError(f'{what} have shape {images.shape[1:]} but the model '
                     f'expects {tuple(expected_shape)}; resize the images or '
                     'convert their channels first.')
  if not np.issubdtype(images.dtype, np.floating):
    raise InputError(f'{what} must be float images scaled to [-1, 1]; got '
                     f'dtype {images.dtype}. Use '
                     'ganad_tf.data.datasets.preprocess_images.')
  check_finite(images, what)
  if images.size and (images.min() < -1.0001 or images.max() > 1.0001):
    raise InputError(f'{what} must be scaled to [-1, 1]; found values in '
                     f'[{images.min():.3g}, {images.max():.3g}].')
  return images.astype(np.float32, copy=False)


def check_finite(images: np.ndarray, what: str) -> None:
  """Raises InputError naming how many images hold NaN/Inf and the first."""
  finite = np.isfinite(images).reshape(len(images), -1).all(axis=1)
  if not finite.all():
    raise InputError(f'{what}: {int((~finite).sum())} image(s) contain NaN '
                     'or Inf pixels (first: index '
                     f'{int(np.flatnonzero(~finite)[0])}); remove or repair '
                     'them.')


def check_pixels(images: np.ndarray, what: str) -> np.ndarray:
  """Validates raw pixel values 0..255 (uint8, or numbers in that range).

  Returns:
    The images unchanged (not copied; uint8 is valid as it is).

  Raises:
    InputError: a non-numeric dtype, NaN/Inf, or values outside 0..255.
  """
  images = np.asarray(images)
  if images.dtype == np.uint8:
    return images
  if not (np.issubdtype(images.dtype, np.floating) or
          np.issubdtype(images.dtype, np.integer)):
    raise InputError(f'{what} must hold numbers, got dtype {images.dtype}.')
  if np.issubdtype(images.dtype, np.floating):
    check_finite(images, what)
  if images.size and (images.min() < 0 or images.max() > 255):
    raise InputError(
        f'{what}: pixel values must be 0..255 (raw image values); found '
        f'[{images.min():.3g}, {images.max():.3g}]. If the images are '
        'scaled to [0, 1], multiply them by 255.')
  return images
