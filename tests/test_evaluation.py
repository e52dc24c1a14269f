"""Test metrics on given scores and heat maps: image, tile and pixel level."""

import numpy as np
import pytest

from ganad_tf.data import folder_data
from ganad_tf.errors import DatasetError
from ganad_tf.inspection import evaluation
from ganad_tf.inspection import tiles

GRID = tiles.make_grid((32, 64), (32, 32))  # two tiles side by side


def _data():
  """3 normal images, 2 'dent' with masks in the right tile, 1 'hole'
  without a mask."""
  normal = np.zeros((3, 32, 64), np.uint8)
  masks = np.zeros((3, 32, 64), bool)
  masks[:2, 10:14, 40:44] = True
  return folder_data.from_arrays(normal, np.zeros((3, 32, 64), np.uint8),
                                 ['dent', 'dent', 'hole'], masks)


def _heat(data, on_defect=True):
  """Heat maps that are hot on each mask (or elsewhere), with noise."""
  rng = np.random.default_rng(1)
  maps = rng.uniform(0, 0.1, (len(data), 32, 64)).astype(np.float32)
  for index, mask in enumerate(data.masks):
    if mask is not None and mask.any():
      if on_defect:
        maps[index][mask] = 1.0
      else:
        maps[index, 0, 0] = 1.0
  return maps


def test_tile_auroc_compares_defect_tiles_with_normal_images_tiles():
  data = _data()
  tile_scores = np.full((len(data), 2), 0.1)
  tile_scores[3:5, 1] = 0.9  # the masked dents' right tiles
  result = evaluation.tile_auroc(data, tile_scores, GRID, 0.25)
  assert result == {'auroc': 100.0, 'defect_tiles': 2, 'normal_tiles': 6}
  assert evaluation.tile_auroc(data.subset([0, 1, 5]), tile_scores[[0, 1, 5]],
                               GRID, 0.25) is None  # no masked defect


@pytest.mark.parametrize('on_defect', [True, False])
def test_pixel_tracker_sees_whether_the_heat_sits_on_the_defect(on_defect):
  data = _data()
  tracker = evaluation.PixelTracker(data, seed=0)
  maps = _heat(data, on_defect)
  tracker.add(0, maps[:4])
  tracker.add(4, maps[4:])
  pixel = tracker.result()['pixel']
  assert pixel['defect_images_with_masks'] == 2  # the hole has no mask
  assert pixel['hottest_pixel_on_defect'] == (1.0 if on_defect else 0.0)
  if on_defect:
    assert pixel['auroc_sampled'] == 100.0
  assert pixel['near_tolerance_px'] == 2.0
  assert evaluation.PixelTracker(data, 0).result() == {'pixel': None}


def test_evaluate_reports_image_kind_tile_and_pixel_metrics():
  data = _data()
  scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9, 0.25], np.float32)
  tile_scores = np.stack([scores / 2, scores], axis=1)
  maps = _heat(data)
  chunks = [(start, {'score': scores[start:start + 4],
                     'tile_scores': tile_scores[start:start + 4],
                     'error_map': maps[start:start + 4]})
            for start in (0, 4)]
  result = evaluation.evaluate(data, chunks, 0.5, GRID, 0.25, seed=0)
  assert result['counts'] == {'normal': 3, 'dent': 2, 'hole': 1}
  assert result['per_kind']['dent'] == {'count': 2, 'recall': 1.0,
                                        'auroc': 100.0}
  assert result['per_kind']['hole']['recall'] == 0.0
  assert result['recall'] == pytest.approx(2 / 3)
  assert result['tile']['auroc'] == 100.0
  assert result['pixel']['hottest_pixel_on_defect'] == 1.0
  assert result['scores']['labels'] == [0, 0, 0, 1, 1, 1]
  no_pixels = evaluation.evaluate(
      data, [(0, {'score': scores, 'tile_scores': tile_scores})], 0.5, GRID,
      0.25, seed=0, pixel_level=False)
  assert 'pixel' not in no_pixels
  assert no_pixels['auroc'] == result['auroc']
  with pytest.raises(DatasetError, match='no images'):
    evaluation.evaluate(data, [], 0.5, GRID, 0.25, seed=0)
