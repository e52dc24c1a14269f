"""The one home of image validation; each check says what it accepts.

Three kinds of image arrays cross the package's boundaries:

  uint8 pixels 0..255        data files, folders, painters:
                             check_uint8_batch, check_uint8_image
  raw pixel values 0..255    what users score (uint8, or float/int values):
                             check_pixel_values; a detector's photos,
                             shape and channels too: check_photo_batch
  model range [-1, 1]        float32 batches the networks take:
                             check_model_batch (see ganad_tf.pixels)

Every check raises InputError naming the problem and the fix. The model
input *shape* of a network is checked by models.check_input_shape.
"""

from typing import Optional, Sequence, Tuple

import numpy as np

from ganad_tf.data import sizes
from ganad_tf.errors import InputError


def check_uint8_batch(images, what: str,
                      channels: Optional[Sequence[int]] = None
                      ) -> np.ndarray:
  """Validates a batch of uint8 pixels 0..255.

  Args:
    images: uint8 [N, H, W, C], or [N, H, W] for one channel.
    what: how to call the images in error messages.
    channels: the allowed channel counts, or None for any.

  Returns:
    The images as a uint8 [N, H, W, C] array (not copied).

  Raises:
    InputError: wrong rank, dtype, channel count or an empty axis.
  """
  given = type(images).__name__
  is_array = isinstance(images, np.ndarray)
  images = np.asarray(images)
  if images.ndim == 3:
    images = images[..., np.newaxis]
  if images.ndim != 4:
    raise InputError(
        f'{what} must be uint8 images [N, H, W, C] or [N, H, W], got shape '
        f'{images.shape}; add or remove axes to match.')
  if images.dtype != np.uint8:
    if not is_array:
      raise InputError(
          f'{what} must be a numpy array of uint8 pixels 0..255, got a '
          f'{given}; pass np.asarray(images, dtype=np.uint8).')
    raise InputError(
        f'{what} must be uint8 pixels 0..255, got {images.dtype}; convert '
        'with np.clip(images, 0, 255).astype(np.uint8) after scaling to '
        '0..255.')
  if min(images.shape[1:]) < 1:
    raise InputError(f'{what} have shape {images.shape} with an empty axis; '
                     'pass [N, H, W, C] with H, W, C >= 1.')
  if channels is not None and images.shape[3] not in channels:
    raise InputError(
        f'{what} have {images.shape[3]} channels; use '
        f'{" or ".join(str(c) for c in channels)} (gray 1, RGB 3): '
        'convert them first.')
  return images


def check_uint8_image(image, what: str,
                      channels: Sequence[int] = (1, 3)) -> np.ndarray:
  """Validates one uint8 image [H, W, C] with an allowed channel count.

  Returns:
    The image itself.

  Raises:
    InputError: not a numpy array, or wrong rank, dtype or channels.
  """
  if (not isinstance(image, np.ndarray) or image.dtype != np.uint8 or
      image.ndim != 3 or image.shape[2] not in channels):
    wanted = ' or '.join(str(c) for c in channels)
    raise InputError(
        f'{what} must be one uint8 image [H, W, {wanted}], got '
        f'{getattr(image, "dtype", type(image).__name__)} '
        f'{getattr(image, "shape", "")}; add a channel axis to gray images '
        '(image[..., None]) and convert pixels with .astype(np.uint8).')
  return image


def check_pixel_values(images, what: str) -> np.ndarray:
  """Validates raw pixel values 0..255 of any numeric dtype.

  uint8 passes as is; float and integer arrays must be finite and inside
  0..255. The shape is not checked.

  Returns:
    The images as an array, not copied or converted.

  Raises:
    InputError: non-numeric dtype, NaN/Inf, or values outside 0..255.
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
        f'{what} must hold pixel values 0..255 (raw image values); found '
        f'[{images.min():.3g}, {images.max():.3g}]. If the images are '
        'scaled to [0, 1], multiply them by 255.')
  return images


def check_model_batch(images, what: str,
                      expected_shape: Optional[tuple] = None) -> np.ndarray:
  """Validates a float batch scaled to the model range [-1, 1].

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


def check_photo_batch(images, image_shape: Tuple[int, int, int],
                      resize_to: Optional[Tuple[int, int]] = None
                      ) -> np.ndarray:
  """Validates raw images for a model; returns them as (N, H, W, C).

  The layout must fit the model (the messages say how to fix a photo for
  this model); the pixel values must be raw 0..255 (check_pixel_values).
  The pixels are not copied: they are converted to float32 a batch at a
  time when scored.

  Args:
    images: uint8 (or float/int pixel values 0..255) shaped (N, H, W, C),
      or (N, H, W) for a one-channel model.
    image_shape: the model's (H, W, C).
    resize_to: the --resize_to training used, for the hint on wrong sizes.

  Raises:
    InputError: wrong rank, size or channel count, NaN/Inf, or values
      outside 0..255; the message says how to fix it.
  """
  height, width, channels = image_shape
  size = sizes.format_size((height, width))
  images = np.asarray(images)
  if images.ndim == 3 and channels == 1 and images.shape[1:] == (height,
                                                                 width):
    images = images[..., None]
  if images.ndim != 4:
    raise InputError(
        f'Images must be a batch (count, height, width, channels) = '
        f'(N, {height}, {width}, {channels}); got shape {images.shape}. '
        'Wrap a single image as images[None].')
  if images.shape[1:3] != (height, width):
    got = sizes.format_size(images.shape[1:3])
    hint = (f' (training resized photos with --resize_to='
            f'{sizes.format_size(resize_to)}; image_files.read_image does '
            'the same)' if resize_to else '')
    raise InputError(f'Images are {got} (WIDTHxHEIGHT) but the model takes '
                     f'{size}{hint}; resize or crop them to {size}.')
  if images.shape[3] != channels:
    fix = ('convert them to grayscale' if channels == 1 else
           'convert them to RGB (repeat the gray channel 3 times)')
    raise InputError(f'Images have {images.shape[3]} channel(s) but the '
                     f'model was trained on {channels}; {fix}.')
  return check_pixel_values(images, 'Images')
