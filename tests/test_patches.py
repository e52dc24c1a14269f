"""Tiling and stitching: coverage, exact round trips, TF == numpy."""

import numpy as np
import pytest

from ganad_tf.inspection import patches
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


def test_parse_size():
  assert patches.parse_size('548x500') == (500, 548)  # (height, width)
  assert patches.parse_size('100') == (100, 100)
  assert patches.parse_size(64) == (64, 64)
  assert patches.parse_size(None) is None and patches.parse_size('') is None
  assert patches.format_size((500, 548)) == '548x500'
  for bad in ('big', '0x10', '10x'):
    with pytest.raises(ConfigError, match='WIDTHxHEIGHT|at least'):
      patches.parse_size(bad)


def test_tile_starts_align_the_last_tile_with_the_border():
  assert patches.tile_starts(250, 100, 100) == (0, 100, 150)
  assert patches.tile_starts(200, 100, 100) == (0, 100)
  assert patches.tile_starts(100, 100, 100) == (0,)
  assert patches.tile_starts(2192, 100, 100)[-1] == 2092
  assert patches.tile_starts(10, 4, 3) == (0, 3, 6)
  with pytest.raises(ConfigError, match='--tile_size'):
    patches.tile_starts(50, 64, 64)


@pytest.mark.parametrize('image, tile, stride', [
    ((128, 256), (64, 64), None),
    ((130, 250), (64, 60), (32, 50)),
    ((100, 100), None, None),
    ((1000, 2192), (100, 100), None)])
def test_every_pixel_is_covered_and_tiles_stay_inside(image, tile, stride):
  grid = patches.make_grid(image, tile, stride)
  coverage = grid.coverage()
  assert coverage.min() >= 1
  for y0, x0, y1, x1 in grid.boxes():
    assert 0 <= y0 < y1 <= image[0] and 0 <= x0 < x1 <= image[1]
    assert (y1 - y0, x1 - x0) == grid.tile_size
  assert grid.num_tiles == len(grid.boxes())


def test_paper_grid_for_2192x1000_with_100px_tiles():
  grid = patches.make_grid((1000, 2192), (100, 100))
  assert len(grid.rows) == 10 and len(grid.cols) == 22
  assert grid.cols[-1] == 2092


def test_extract_then_stitch_reproduces_the_image():
  rng = np.random.default_rng(0)
  images = rng.uniform(0, 1, (2, 130, 250, 1)).astype(np.float32)
  for stride in (None, (32, 50)):
    grid = patches.make_grid((130, 250), (64, 60), stride)
    tiles = patches.extract_tiles(images, grid).numpy()
    assert tiles.shape == (2 * grid.num_tiles, 64, 60, 1)
    y0, x0, y1, x1 = grid.boxes()[-1]
    np.testing.assert_array_equal(tiles[grid.num_tiles - 1],
                                  images[0, y0:y1, x0:x1])
    for mode in ('mean', 'max'):
      stitched = patches.stitch(tiles[..., 0], grid, mode).numpy()
      np.testing.assert_allclose(stitched, images[..., 0], rtol=1e-6)


def test_constant_tile_maps_stitch_to_constants_even_after_resizing():
  grid = patches.make_grid((128, 256), (48, 48), (40, 40))
  maps = np.full((grid.num_tiles, 32, 32), 0.25, np.float32)  # model size
  for mode in ('mean', 'max'):
    stitched = patches.stitch(maps, grid, mode).numpy()
    assert stitched.shape == (1, 128, 256)
    np.testing.assert_allclose(stitched, 0.25, rtol=1e-6)


@pytest.mark.parametrize('mode', ['mean', 'max'])
def test_stitching_matches_a_plain_loop(mode):
  grid = patches.make_grid((90, 140), (40, 50), (25, 30))
  rng = np.random.default_rng(1)
  maps = rng.uniform(0, 1, (3 * grid.num_tiles, 40, 50)).astype(np.float32)
  np.testing.assert_allclose(patches.stitch(maps, grid, mode).numpy(),
                             _stitch_reference(maps, grid, mode), rtol=1e-5)


def test_whole_image_mode_resizes_to_the_model_and_back():
  grid = patches.make_grid((64, 128), None)
  assert grid.num_tiles == 1 and grid.tile_size == (64, 128)
  images = np.zeros((2, 64, 128, 3), np.float32)
  tiles = patches.tiles_for_model(images, grid, 32).numpy()
  assert tiles.shape == (2, 32, 32, 3)
  heat = patches.stitch(np.ones((2, 32, 32), np.float32), grid).numpy()
  assert heat.shape == (2, 64, 128)
  np.testing.assert_allclose(heat, 1.0, rtol=1e-6)


def test_model_sized_tiles_pass_through_unchanged():
  grid = patches.make_grid((64, 128), (32, 32))
  rng = np.random.default_rng(2)
  images = rng.uniform(-1, 1, (1, 64, 128, 1)).astype(np.float32)
  tiles = patches.tiles_for_model(images, grid, 32).numpy()
  np.testing.assert_array_equal(tiles[1], images[0, :32, 32:64])


def test_mask_overlaps_counts_pixels_per_tile():
  grid = patches.make_grid((100, 100), (50, 50), (25, 25))
  mask = np.zeros((100, 100), bool)
  mask[10:20, 60:70] = True  # 100 pixels in tiles (row 0, cols 1 and 2)
  overlaps = patches.mask_overlaps(mask, grid)
  expected = [int(mask[y0:y1, x0:x1].sum()) for y0, x0, y1, x1
              in grid.boxes()]
  assert overlaps.tolist() == expected
  assert overlaps.max() == 100


def test_tile_larger_than_image_names_the_flag():
  with pytest.raises(ConfigError, match='--tile_size'):
    patches.make_grid((64, 64), (100, 100))
  with pytest.raises(ConfigError, match='stitch'):
    patches.stitch(np.zeros((1, 8, 8)), patches.make_grid((8, 8)), 'median')
