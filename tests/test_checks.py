"""Tests for ganad_tf.data.checks: each image check and what it accepts."""

import numpy as np
import pytest

from ganad_tf.data import checks
from ganad_tf.errors import InputError


def test_uint8_batch_accepts_gray_without_channel_axis():
  images = np.zeros((2, 5, 6), np.uint8)
  out = checks.check_uint8_batch(images, 'Images')
  assert out.shape == (2, 5, 6, 1)
  assert np.shares_memory(out, images)
  rgb = np.zeros((2, 5, 6, 3), np.uint8)
  assert checks.check_uint8_batch(rgb, 'Images', (1, 3)) is rgb


@pytest.mark.parametrize('images,channels,match', [
    (np.zeros((5, 6), np.uint8), None, r'\[N, H, W, C\] or \[N, H, W\]'),
    (np.zeros((1, 2, 5, 6, 1), np.uint8), None, 'add or remove axes'),
    (np.zeros((1, 5, 6, 1), np.float32), None, 'uint8 pixels 0..255'),
    ([[[300]]], None, 'numpy array'),
    (np.zeros((1, 0, 6, 1), np.uint8), None, 'empty axis'),
    (np.zeros((1, 5, 6, 2), np.uint8), (1, 3), '2 channels; use 1 or 3'),
])
def test_uint8_batch_rejects(images, channels, match):
  with pytest.raises(InputError, match=match):
    checks.check_uint8_batch(images, 'Images', channels)


def test_uint8_image():
  image = np.zeros((5, 6, 3), np.uint8)
  assert checks.check_uint8_image(image, 'Image') is image
  for bad in (np.zeros((5, 6), np.uint8), np.zeros((5, 6, 1), np.float32),
              np.zeros((5, 6, 4), np.uint8), [[[0]]]):
    with pytest.raises(InputError, match='one uint8 image'):
      checks.check_uint8_image(bad, 'Image')


def test_pixel_values_accept_any_numeric_dtype_in_range():
  images = np.zeros((1, 4, 4, 1), np.uint8)
  assert checks.check_pixel_values(images, 'Images') is images
  floats = np.full((1, 4, 4, 1), 255.0)
  assert checks.check_pixel_values(floats, 'Images') is floats
  checks.check_pixel_values(np.full((1, 2), 7, np.int32), 'Images')


@pytest.mark.parametrize('images,match', [
    (np.full((1, 4), 0.5) - 1.0, 'multiply them by 255'),
    (np.full((1, 4), 256, np.int64), r'0\.\.255'),
    (np.array([[np.nan, 1.0]]), 'NaN or Inf'),
    (np.array([['a']]), 'must hold numbers'),
])
def test_pixel_values_reject(images, match):
  with pytest.raises(InputError, match=match):
    checks.check_pixel_values(images, 'Images')


def test_model_batch():
  images = np.zeros((2, 4, 4, 1), np.float64)
  out = checks.check_model_batch(images, 'Images', (4, 4, 1))
  assert out.dtype == np.float32
  for bad, match in ((np.zeros((2, 4, 4)), '4-D'),
                     (np.zeros((2, 4, 4, 3)), 'expects'),
                     (np.zeros((2, 4, 4, 1), np.uint8), 'preprocess_images'),
                     (np.full((2, 4, 4, 1), 2.0), r'\[-1, 1\]')):
    with pytest.raises(InputError, match=match):
      checks.check_model_batch(bad, 'Images', (4, 4, 1))


def test_finite_names_count_and_first_index():
  images = np.zeros((4, 2, 2, 1), np.float32)
  images[2, 0, 0, 0] = np.inf
  images[3, 1, 1, 0] = np.nan
  with pytest.raises(InputError, match=r'2 image\(s\).*first: index 2'):
    checks.check_finite(images, 'Images')
  checks.check_finite(np.zeros((1, 2, 2, 1)), 'Images')


PHOTO_SHAPE = (64, 96, 1)  # a detector's image (H, W, C)


@pytest.fixture
def photos():
  return np.random.default_rng(0).integers(0, 256, (5,) + PHOTO_SHAPE,
                                           dtype=np.uint8)


def test_check_photo_batch_accepts_raw_pixels_without_copying(photos):
  assert checks.check_photo_batch(photos, PHOTO_SHAPE) is photos
  gray = checks.check_photo_batch(photos[..., 0], PHOTO_SHAPE)
  assert gray.shape == (5,) + PHOTO_SHAPE and np.shares_memory(gray, photos)
  floats = photos.astype(np.float64)
  assert checks.check_photo_batch(floats, PHOTO_SHAPE) is floats
  checks.check_photo_batch(photos.astype(np.int32), PHOTO_SHAPE)


def test_check_photo_batch_errors_say_how_to_fix_the_photos(photos):
  with pytest.raises(InputError, match=r'images\[None\]'):
    checks.check_photo_batch(photos[0, ..., 0], PHOTO_SHAPE)
  with pytest.raises(InputError, match='resize or crop them to 96x64'):
    checks.check_photo_batch(photos[:, :32], PHOTO_SHAPE)
  with pytest.raises(InputError, match='--resize_to=960x640'):
    checks.check_photo_batch(photos[:, :32], PHOTO_SHAPE, resize_to=(640, 960))
  with pytest.raises(InputError, match='convert them to grayscale'):
    checks.check_photo_batch(np.repeat(photos, 3, axis=-1), PHOTO_SHAPE)
  with pytest.raises(InputError, match='convert them to RGB'):
    checks.check_photo_batch(photos, PHOTO_SHAPE[:2] + (3,))
  bad = photos.astype(np.float32)
  bad[1, 5, 5] = np.nan
  with pytest.raises(InputError, match='NaN'):
    checks.check_photo_batch(bad, PHOTO_SHAPE)
  with pytest.raises(InputError, match='multiply them by 255'):
    checks.check_photo_batch(photos.astype(np.float32) / 255 - 0.5, PHOTO_SHAPE)
  with pytest.raises(InputError, match='must hold numbers'):
    checks.check_photo_batch(photos.astype(str), PHOTO_SHAPE)
