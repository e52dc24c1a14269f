"""Tests for ganad_tf.data.image_files: finding and decoding image files."""

import os

import numpy as np
import pytest
from PIL import Image

from ganad_tf.data import image_files
from ganad_tf.errors import ConfigError, DatasetError


def _write(path, image, fmt=None):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  image.save(path, format=fmt)


def test_is_image_file():
  assert image_files.is_image_file('a.PNG')
  assert image_files.is_image_file('b.jpeg')
  assert not image_files.is_image_file('.hidden.png')
  assert not image_files.is_image_file('notes.txt')


def test_walk_and_find_skip_hidden_and_masks(tmp_path):
  root = str(tmp_path)
  gray = Image.fromarray(np.zeros((4, 6), np.uint8))
  for name in ('x/a.png', 'x/sub/b.bmp', 'x/.hidden/c.png', 'masks/x/a.png'):
    _write(os.path.join(root, name), gray)
  walked = image_files.walk_images(root)
  assert [os.path.relpath(p, root) for p in walked] == [
      os.path.join('masks', 'x', 'a.png'), os.path.join('x', 'a.png'),
      os.path.join('x', 'sub', 'b.bmp')]
  assert len(image_files.find_images(root)) == 2
  with pytest.raises(DatasetError, match='quoted glob'):
    image_files.find_images(os.path.join(root, 'nothing', '*.png'))


def test_decode_keeps_gray_content_one_channel(tmp_path):
  path = str(tmp_path / 'gray_as_rgb.png')
  _write(path, Image.fromarray(np.full((4, 6, 3), 70, np.uint8)))
  assert image_files.read_header(path) == ((4, 6), 'RGB')
  decoded = image_files.decode(path, None)
  assert decoded.shape == (4, 6) and decoded.dtype == np.uint8
  # 16-bit gray maps onto 8 bits.
  path16 = str(tmp_path / 'deep.png')
  _write(path16, Image.fromarray(np.full((4, 6), 65535, np.uint16)))
  assert image_files.decode(path16, None).max() == 255
  colour = np.zeros((4, 6, 3), np.uint8)
  colour[..., 0] = 200
  _write(str(tmp_path / 'red.png'), Image.fromarray(colour))
  resized = image_files.decode(str(tmp_path / 'red.png'), (8, 12))
  assert resized.shape == (8, 12, 3)


def test_to_channels_and_read_image(tmp_path):
  colour = np.random.default_rng(0).integers(0, 256, (5, 7, 3), np.uint8)
  luma = np.asarray(Image.fromarray(colour).convert('L'))
  gray = image_files.to_channels(colour, 1)
  assert gray.shape == (5, 7, 1)
  assert np.abs(gray[..., 0].astype(int) - luma).max() <= 1
  assert image_files.to_channels(luma, 3).shape == (5, 7, 3)
  path = str(tmp_path / 'c.png')
  _write(path, Image.fromarray(colour))
  np.testing.assert_array_equal(image_files.read_image(path, 3), colour)
  with open(str(tmp_path / 'junk.png'), 'wb') as handle:
    handle.write(b'junk')
  with pytest.raises((OSError, ValueError, SyntaxError)):
    image_files.read_image(str(tmp_path / 'junk.png'), 1)


def test_read_mask_keeps_thin_defects_when_shrinking(tmp_path):
  mask = np.zeros((40, 40), np.uint8)
  mask[20, :] = 255  # one-pixel line
  path = str(tmp_path / 'm.png')
  _write(path, Image.fromarray(mask))
  small = image_files.read_mask(path, (10, 10))
  assert small.dtype == bool and small.shape == (10, 10)
  assert small[5].all() and small.sum() == 10
  with open(str(tmp_path / 'bad.png'), 'wb') as handle:
    handle.write(b'junk')
  assert image_files.read_mask(str(tmp_path / 'bad.png'), (10, 10)) is None


def test_pad_keeps_the_aspect_ratio_and_places_masks_alike(tmp_path):
  from PIL import Image
  image = np.zeros((20, 60), np.uint8)
  image[:, 30:] = 200  # right half bright
  image[5:10, 5:10] = 90
  Image.fromarray(image).save(tmp_path / 'wide.png')
  mask = np.zeros((20, 60), np.uint8)
  mask[5:10, 5:10] = 255
  Image.fromarray(mask).save(tmp_path / 'mask.png')
  padded = image_files.decode(str(tmp_path / 'wide.png'), (32, 32), 'pad')
  # One factor, 32 / 60: a 11x32 band centred in 32 rows, edges repeated.
  assert image_files.letterbox((20, 60), (32, 32)) == ((11, 32), (10, 0))
  assert padded.shape == (32, 32)
  np.testing.assert_array_equal(padded[:10], np.repeat(padded[10:11], 10, 0))
  np.testing.assert_array_equal(padded[21:], np.repeat(padded[20:21], 11, 0))
  assert padded[15, 0] == 0 and padded[15, 31] == 200
  stretched = image_files.decode(str(tmp_path / 'wide.png'), (32, 32))
  assert stretched.shape == (32, 32) and stretched[0, 31] == 200
  placed = image_files.read_mask(str(tmp_path / 'mask.png'), (32, 32), 'pad')
  rows, cols = np.nonzero(placed)
  # The defect (rows 5-9, cols 5-9 of 20x60) lands at rows 10 + 5..9 x 32/60.
  assert 12 <= rows.min() and rows.max() <= 16
  assert 2 <= cols.min() and cols.max() <= 5
  assert not placed[:10].any() and not placed[21:].any()
  with pytest.raises(ConfigError, match='--resize_mode'):
    image_files.fit(image, (32, 32), 'crop')
