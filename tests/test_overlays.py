"""Overlay pictures: heat colouring, banner, tile box, file stems."""

import os

import numpy as np

from ganad_tf.inspection import overlays

SCALE = {'low': 0.2, 'high': 1.0}


def _picture(width=200, box=None, decision=True, max_width=1024):
  image = np.full((100, width, 1), 128, np.uint8)
  heat = np.zeros((100, width), np.float32)
  heat[60:80, 60:80] = 1.0  # hot spot
  return np.asarray(overlays.render_overlay(
      image, heat, SCALE, 0.9, 0.5, decision, box, max_width))


def test_cold_pixels_stay_the_photo_and_hot_ones_are_coloured():
  picture = _picture()
  assert picture.shape == (100, 200, 3)
  np.testing.assert_array_equal(picture[95, 190], [128, 128, 128])
  hot = picture[70, 70].astype(int)
  assert hot.max() - hot.min() > 50  # coloured, not gray


def test_banner_and_box():
  picture = _picture(box=(50, 100, 90, 150))
  assert np.all(picture[1, 1] == 0)  # black banner at the top left
  np.testing.assert_array_equal(picture[70, 100], [255, 255, 255])
  verdicts = {decision: _picture(decision=decision) for decision in (0, 1)}
  assert not np.array_equal(verdicts[0][:15], verdicts[1][:15])


def test_wide_images_are_downscaled():
  assert _picture(width=400, max_width=100).shape == (25, 100, 3)


def test_unique_stems_flatten_paths_and_never_collide():
  used = set()
  name = os.path.join('scratch', 'a.png')
  assert overlays.unique_stem(name, used) == 'scratch__a'
  assert overlays.unique_stem(name, used) == 'scratch__a_2'
  assert overlays.unique_stem('c:b.png', used) == 'c_b'
  assert used == {'scratch__a', 'scratch__a_2', 'c_b'}
