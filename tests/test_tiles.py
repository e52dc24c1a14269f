"""Tiles: grids, exact round trips, stitching TF == numpy, model inputs."""

import numpy as np
import pytest

from ganad_tf.inspection import tiles
from ganad_tf.errors import ConfigError


def _stitch_reference(tile_maps, grid, mode):
  """Plain-loop stitching of maps already at tile size."""
  num = len(tile_maps) // grid.num_tiles
  out = np.full((num,) + grid.image_size, -np.inf if mode == 'max' else 0.0)
  for n in range(num):
    for t, (y0, x0, y1, x1) in enumerate(grid.boxes()):
      tile = tile_maps[n * grid.num_tiles + t]
      if mode == 'max':
        out[n, y0:y1, x0:x1] = np.maximum(out[n, y0:y1, x0:x1], tile)
      else:
        out[n, y0:y1, x0:x1] += tile
  return out if mode == 'max' else out / grid.coverage()


def test_tile_starts_align_the_last_tile_with_the_border():
  assert tiles.tile_starts(250, 100, 100) == (0, 100, 150)
  assert tiles.tile_starts(200, 100, 100) == (0, 100)
  assert tiles.tile_starts(100, 100, 100) == (0,)
  assert tiles.tile_starts(2192, 100, 100)[-1] == 2092
  assert tiles.tile_starts(10, 4, 3) == (0, 3, 6)
  with pytest.raises(ConfigError, match='--tile_size'):
    tiles.tile_starts(50, 64, 64)


@pytest.mark.parametrize('image, tile, stride', [
    ((128, 256), (64, 64), None),
    ((130, 250), (64, 60), (32, 50)),
    ((100, 100), None, None),
    ((1000, 2192), (100, 100), None)])
def test_every_pixel_is_covered_and_tiles_stay_inside(image, tile, stride):
  grid = tiles.make_grid(image, tile, stride)
  coverage = grid.coverage()
  assert coverage.min() >= 1
  for y0, x0, y1, x1 in grid.boxes():
    assert 0 <= y0 < y1 <= image[0] and 0 <= x0 < x1 <= image[1]
    assert (y1 - y0, x1 - x0) == grid.tile_size
  assert grid.num_tiles == len(grid.boxes())


def test_paper_grid_for_2192x1000_with_100px_tiles():
  grid = tiles.make_grid((1000, 2192), (100, 100))
  assert len(grid.rows) == 10 and len(grid.cols) == 22
  assert grid.cols[-1] == 2092


def test_extract_then_stitch_reproduces_the_image():
  rng = np.random.default_rng(0)
  images = rng.uniform(0, 1, (2, 130, 250, 1)).astype(np.float32)
  for stride in (None, (32, 50)):
    grid = tiles.make_grid((130, 250), (64, 60), stride)
    cut = tiles.extract_tiles(images, grid).numpy()
    assert cut.shape == (2 * grid.num_tiles, 64, 60, 1)
    y0, x0, y1, x1 = grid.boxes()[-1]
    np.testing.assert_array_equal(cut[grid.num_tiles - 1],
                                  images[0, y0:y1, x0:x1])
    for mode in ('mean', 'max'):
      stitched = tiles.stitch(cut[..., 0], grid, mode).numpy()
      np.testing.assert_allclose(stitched, images[..., 0], rtol=1e-6)


def test_constant_tile_maps_stitch_to_constants_even_after_resizing():
  grid = tiles.make_grid((128, 256), (48, 48), (40, 40))
  maps = np.full((grid.num_tiles, 32, 32), 0.25, np.float32)  # model size
  for mode in ('mean', 'max'):
    stitched = tiles.stitch(maps, grid, mode).numpy()
    assert stitched.shape == (1, 128, 256)
    np.testing.assert_allclose(stitched, 0.25, rtol=1e-6)


@pytest.mark.parametrize('mode', ['mean', 'max'])
def test_stitching_matches_a_plain_loop(mode):
  grid = tiles.make_grid((90, 140), (40, 50), (25, 30))
  rng = np.random.default_rng(1)
  maps = rng.uniform(0, 1, (3 * grid.num_tiles, 40, 50)).astype(np.float32)
  np.testing.assert_allclose(tiles.stitch(maps, grid, mode).numpy(),
                             _stitch_reference(maps, grid, mode), rtol=1e-5)


def test_whole_image_mode_resizes_to_the_model_and_back():
  grid = tiles.make_grid((64, 128), None)
  assert grid.num_tiles == 1 and grid.tile_size == (64, 128)
  images = np.zeros((2, 64, 128, 3), np.float32)
  model_in = tiles.tiles_for_model(images, grid, 32).numpy()
  assert model_in.shape == (2, 32, 32, 3)
  heat = tiles.stitch(np.ones((2, 32, 32), np.float32), grid).numpy()
  assert heat.shape == (2, 64, 128)
  np.testing.assert_allclose(heat, 1.0, rtol=1e-6)


def test_model_sized_tiles_pass_through_unchanged():
  grid = tiles.make_grid((64, 128), (32, 32))
  rng = np.random.default_rng(2)
  images = rng.uniform(-1, 1, (1, 64, 128, 1)).astype(np.float32)
  model_in = tiles.tiles_for_model(images, grid, 32).numpy()
  np.testing.assert_array_equal(model_in[1], images[0, :32, 32:64])


def test_mask_overlaps_counts_pixels_per_tile():
  grid = tiles.make_grid((100, 100), (50, 50), (25, 25))
  mask = np.zeros((100, 100), bool)
  mask[10:20, 60:70] = True  # 100 pixels in tiles (row 0, cols 1 and 2)
  overlaps = tiles.mask_overlaps(mask, grid)
  expected = [int(mask[y0:y1, x0:x1].sum()) for y0, x0, y1, x1
              in grid.boxes()]
  assert overlaps.tolist() == expected
  assert overlaps.max() == 100


def test_tile_larger_than_image_names_the_flag():
  with pytest.raises(ConfigError, match='--tile_size'):
    tiles.make_grid((64, 64), (100, 100))
  with pytest.raises(ConfigError, match='stitch'):
    tiles.stitch(np.zeros((1, 8, 8)), tiles.make_grid((8, 8)), 'median')


def test_centring_removes_each_tiles_mean_and_clips():
  rng = np.random.default_rng(3)
  batch = rng.uniform(-1, 1, (3, 16, 16, 2)).astype(np.float32)
  batch[1] = np.clip(batch[1] + 0.8, -1, 1)  # a brightly lit tile
  centred = tiles.center(batch).numpy()
  means = centred.mean(axis=(1, 2, 3))
  assert np.all(np.abs(means[[0, 2]]) < 0.05)
  assert centred.min() >= -1 and centred.max() <= 1
  # Brightness alone does not change a centred tile.
  np.testing.assert_allclose(tiles.center(batch[:1] + 0.1).numpy(),
                             tiles.center(batch[:1]).numpy(), atol=1e-5)


def test_model_input_is_resize_clip_then_optional_centring():
  rng = np.random.default_rng(4)
  batch = rng.uniform(-1, 1, (2, 48, 40, 1)).astype(np.float32)
  plain = tiles.to_model_input(batch, 32).numpy()
  expected = np.clip(tiles.resize(batch, (32, 32)).numpy(), -1, 1)
  np.testing.assert_array_equal(plain, expected)
  np.testing.assert_array_equal(
      tiles.to_model_input(batch, 32, centred=True).numpy(),
      tiles.center(expected).numpy())
  grid = tiles.make_grid((48, 80), (48, 40))
  images = np.concatenate([batch[0], batch[1]], axis=1)[None]
  np.testing.assert_array_equal(
      tiles.tiles_for_model(images, grid, 32, centred=True).numpy(),
      tiles.center(expected).numpy())


def test_defect_tiles_need_a_share_of_the_best_covered_tile():
  grid = tiles.make_grid((100, 100), (50, 50))
  mask = np.zeros((100, 100), bool)
  mask[10:40, 30:50] = True   # 600 pixels in tile 0
  mask[10:40, 50:55] = True   # 150 pixels grazing tile 1
  assert tiles.defect_tiles(mask, grid, 0.25).tolist() == [True, True,
                                                           False, False]
  assert tiles.defect_tiles(mask, grid, 0.5).tolist() == [True, False,
                                                          False, False]
  # No mask pixels: no defect tile, whatever the share.
  assert not tiles.defect_tiles(np.zeros((100, 100), bool), grid, 0).any()
