"""Training tiles: crops as the graph sees them, masks, balance, max error.

No model is trained here: 'max_error' gets a stand-in scorer.
"""

import numpy as np
import pytest

from ganad_tf.pixels import to_model_range
from ganad_tf.data import folder_data
from ganad_tf.errors import DatasetError
from ganad_tf.inspection import tile_selection
from ganad_tf.inspection import tiles
from ganad_tf.inspection.config import InspectionConfig
from ganad_tf.inspection.settings import DetectorSettings

SIZE = 32  # model input


def _data(with_masks=True):
  """8 normal 64x64 images; defects: 3 'spot' and 2 'line', masked."""
  rng = np.random.default_rng(0)
  normal = rng.integers(90, 150, (8, 64, 64, 1), dtype=np.uint8)
  defects = rng.integers(90, 150, (5, 64, 64, 1), dtype=np.uint8)
  masks = np.zeros((5, 64, 64), bool)
  masks[:3, 40:48, 8:16] = True   # spots in tile (1, 0)
  masks[3:, 4:30, 40:42] = True   # lines in tile (0, 1)
  defects[masks] = 255
  return folder_data.from_arrays(
      normal, defects, ['spot'] * 3 + ['line'] * 2,
      masks if with_masks else None)


def _select(data, settings, with_anomalies=True, score_tiles=None):
  grid = tiles.make_grid(data.image_size, settings.tile_size,
                         settings.tile_stride)
  return tile_selection.select_training_tiles(
      data, grid, settings, SIZE, kmeans_k=3, seed=0,
      with_anomalies=with_anomalies, score_tiles=score_tiles)


@pytest.mark.parametrize('centred', [True, False])
def test_crops_equal_the_inference_graphs_tiles(centred):
  data = _data()
  grid = tiles.make_grid(data.image_size, (32, 32))
  samples = [(i, y, x) for i in (0, 9) for y, x, _, _ in grid.boxes()]
  crops = tile_selection.crops(data.images, samples, grid.tile_size, SIZE,
                               centred)
  graph = tiles.tiles_for_model(to_model_range(data.images[[0, 9]]), grid,
                                SIZE, centred).numpy()
  np.testing.assert_array_equal(crops, graph)
  small = tile_selection.crops(data.images, samples[:3], grid.tile_size, 8,
                               centred)
  assert small.shape == (3, 8, 8, 1) and small.dtype == np.float32


def test_mask_crops_grid_and_centred():
  grid = tiles.make_grid((64, 64), (32, 32))
  mask = np.zeros((64, 64), bool)
  mask[40:48, 8:16] = True
  assert tile_selection.mask_crops(mask, grid, 'grid', 0.25) == [(32, 0)]
  centred = tile_selection.mask_crops(mask, grid, 'centred', 0.25)
  assert centred[0] == (28, 0)  # centred on the defect, clamped at x = 0
  assert len(centred) == len(set(centred)) <= 5
  for y, x in centred:
    assert 0 <= y <= 32 and 0 <= x <= 32
    assert mask[y:y + 32, x:x + 32].sum() == mask.sum()  # defect inside


def test_top_error_tiles_take_each_images_highest_scores():
  grid = tiles.make_grid((64, 64), (32, 32))
  scores = np.array([[0.1, 0.9, 0.2, 0.3], [0.5, 0.5, 0.7, 0.1]])
  picked = tile_selection.top_error_tiles(scores, [4, 7], grid, 2)
  assert picked == {4: [(0, 32), (32, 32)], 7: [(32, 0), (0, 0)]}


def test_kmeans_pick_is_seeded_and_keeps_small_pools():
  data = _data()
  pool = [(i, 0, 0) for i in range(8)] + [(i, 32, 32) for i in range(8)]
  assert tile_selection.kmeans_pick(data.images, pool, 16, 3, 0, (32, 32),
                                    True) == pool
  picked = tile_selection.kmeans_pick(data.images, pool, 5, 3, 0, (32, 32),
                                      True)
  assert len(set(picked)) == 5 and set(picked) <= set(pool)
  assert picked == tile_selection.kmeans_pick(data.images, pool, 5, 3, 0,
                                              (32, 32), True)


def test_mask_selection_balances_kinds_and_normal_tiles():
  chosen = _select(_data(), DetectorSettings(tile_size=32))
  info = chosen.info
  # One mask tile per defect image; the rarest kind (line: 2) sets the
  # quota, and as many normal tiles as anomaly tiles in all.
  assert info['anomaly_candidates'] == {'line': 2, 'spot': 3}
  assert info['anomaly'] == {'line': 2, 'spot': 2}
  assert info['normal'] == 4 and len(chosen.normal) == 4
  assert chosen.anomaly.shape == (4, SIZE, SIZE, 1)
  assert info['method'] == {'mask': 5, 'max_error': 0, 'whole_image': 0}
  assert info['grid'] == {'tile_size': '32x32', 'rows': 2, 'cols': 2}
  assert 'anomaly tiles chosen by' in tile_selection.describe(info)
  again = _select(_data(), DetectorSettings(tile_size=32))
  np.testing.assert_array_equal(again.anomaly, chosen.anomaly)


def test_normal_only_selection_caps_normal_tiles():
  chosen = _select(_data(), DetectorSettings(tile_size=32,
                                             max_normal_tiles=10),
                   with_anomalies=False)
  assert chosen.info['normal'] == 10 and chosen.normal.shape[0] == 10
  assert chosen.anomaly.shape == (0, SIZE, SIZE, 1)


def test_max_error_scores_unmasked_images_once():
  data = _data(with_masks=False)
  calls = []

  def score_tiles(normal_tiles, image_ids):
    calls.append((len(normal_tiles), list(image_ids)))
    scores = np.zeros((len(image_ids), 4))
    scores[:, 2] = 1.0  # tile (1, 0) has the highest error everywhere
    return scores

  chosen = _select(data, DetectorSettings(tile_size=32), True, score_tiles)
  assert calls == [(4, [8, 9, 10, 11, 12])]
  assert chosen.info['method']['max_error'] == 5
  crop = tile_selection.crops(data.images, [(8, 32, 0)], (32, 32), SIZE,
                              True)
  assert any(np.array_equal(tile, crop[0]) for tile in chosen.anomaly)
  with pytest.raises(DatasetError, match='--anomaly_tiles=auto'):
    _select(data, DetectorSettings(tile_size=32, anomaly_tiles='mask'))


def test_whole_image_tiles_need_no_masks_or_model():
  chosen = _select(_data(with_masks=False), DetectorSettings())
  assert chosen.info['method'] == {'mask': 0, 'max_error': 0,
                                   'whole_image': 5}


def test_normal_only_config_turns_the_anomaly_losses_off():
  config = tile_selection.normal_only_config(InspectionConfig(), 3)
  assert config.weights.abc == 0 and config.weights.anomaly_adv == 0
  assert config.train.epochs == 3 and isinstance(config, InspectionConfig)
  assert config.weights.recon == InspectionConfig().weights.recon


def test_normal_only_config_of_a_detector_with_the_head_is_valid():
  # Without anomalies there is no head to train or score by: the brief
  # model is G alone, scored by its reconstruction.
  from ganad_tf.core import config as config_lib
  config = config_lib.replace(
      InspectionConfig(), model={'encoder_head': True,
                                 'encoder_head_pool': 'flatten'},
      train={'head_batches': 'mixed'}, eval={'score': 'head'})
  config.validate()
  brief = tile_selection.normal_only_config(config, 2)
  brief.validate()
  assert not brief.model.encoder_head
  assert brief.model.encoder_head_pool == 'average'
  assert (brief.train.head_batches, brief.eval.score) == ('group', 'l1')
