"""Tests for ganad_tf.data.synthetic.defects: the defect painters."""

import numpy as np
import pytest

from conftest import small_synthetic
from ganad_tf.data.synthetic import defects
from ganad_tf.data.synthetic.config import DEFECT_KINDS
from ganad_tf.data.synthetic.surface import render_surface
from ganad_tf.errors import InputError


@pytest.mark.parametrize('painter', [defects.add_scratch,
                                     defects.add_stamped,
                                     defects.add_stain])
@pytest.mark.parametrize('channels', [1, 3])
def test_painter_changes_pixels_only_inside_its_mask(painter, channels):
  strong = small_synthetic(
      channels=channels, scratch_contrast=(40.0, 40.0),
      stamped_contrast=(40.0, 40.0), stain_contrast=(40.0, 40.0))
  surface = render_surface(np.random.default_rng(0), 128, 256, channels)
  before = surface.copy()
  for seed in range(4):
    painted, mask = painter(surface, np.random.default_rng(seed), strong)
    assert np.array_equal(surface, before), 'painter modified its input'
    assert painted.shape == surface.shape and painted.dtype == np.uint8
    assert mask.shape == surface.shape[:2] and mask.dtype == bool
    diff = np.abs(painted.astype(np.float32) - surface).mean(axis=2)
    assert diff[mask].mean() > 6, diff[mask].mean()
    assert diff[~mask].mean() < 0.2, diff[~mask].mean()


def test_painter_honours_centre():
  surface = render_surface(np.random.default_rng(0), 128, 256, 1)
  _, mask = defects.add_stamped(surface, np.random.default_rng(0),
                                small_synthetic(), centre=(40, 200))
  ys, xs = np.nonzero(mask)
  assert abs(ys.mean() - 40) < 3 and abs(xs.mean() - 200) < 3


def test_painter_rejects_wrong_image():
  with pytest.raises(InputError, match='uint8'):
    defects.add_stain(np.zeros((64, 64), np.uint8), np.random.default_rng())
  with pytest.raises(InputError, match='uint8'):
    defects.add_scratch(np.zeros((64, 64, 1), np.float32),
                        np.random.default_rng())


def test_one_painter_per_defect_kind():
  assert sorted(defects.PAINTERS) == sorted(DEFECT_KINDS)
