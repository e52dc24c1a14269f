"""Tiling large images into model-sized tiles and stitching heat maps back.

The paper inspects 2192x1000 photos by cutting them into 100x100 (or
548x500) "patches" and resizing each to the 128x128 model input (Sec. 4.1).
We call them tiles: `patch_size`, the patch loss and `--score=patch` mean
windows inside the model input. A `TileGrid` fixes where the tiles of an
image of a given size lie:

* tiles start every `stride` pixels from the top-left corner; where the
  last tile would stop short of the border, one more tile is added flush
  with the border, so every pixel is covered and no tile is padded;
* tiles are numbered row-major (t = row * num_cols + col) and a batch of N
  images becomes N * T tiles, image-major.

The error map of each tile (at the model's input size) is resized back to
the tile's size and placed where the tile came from. Where tiles overlap,
'mean' averages them (smooth maps; the default) and 'max' keeps the highest
(never hides a defect that only one tile reconstructed badly).

Tile centring (our design; `center_tiles`, on by default). Photos of metal
are lit unevenly: one tile is much brighter than another. Without centring
the reconstruction error grows with brightness and the brightest tiles, not
the defects, get the highest scores (on the synthetic set the heat lay on
the light band and image AUROC was near chance). Subtracting each tile's
mean intensity before the generator removes that; a stain or dent still
differs from its own tile's mean, so it stays visible.

The tensor functions here are plain TensorFlow ops with static shapes and
accept numpy arrays too, so the same code runs in the Python API and inside
an exported SavedModel.
"""

import dataclasses
from typing import List, Optional, Tuple

import numpy as np
import tensorflow as tf

from ganad_tf.data.sizes import Size, format_size
from ganad_tf.errors import ConfigError, InputError

STITCH_MODES = ('mean', 'max')


def tile_starts(length: int, tile: int, stride: int) -> Tuple[int, ...]:
  """Start offsets of tiles along one axis, the last one flush with the end.

  Example: tile_starts(250, 100, 100) == (0, 100, 150).
  """
  if tile > length:
    raise ConfigError(f'A tile of {tile} pixels does not fit an image side of '
                      f'{length} pixels; use a smaller --tile_size.')
  if stride < 1:
    raise ConfigError(f'Tile stride {stride} must be >= 1.')
  starts = list(range(0, length - tile + 1, stride))
  if starts[-1] + tile < length:
    starts.append(length - tile)
  return tuple(starts)


@dataclasses.dataclass(frozen=True)
class TileGrid:
  """Where the tiles of one image size lie (see the module docstring)."""
  image_height: int
  image_width: int
  tile_height: int
  tile_width: int
  rows: Tuple[int, ...]  # y of each tile row's top edge
  cols: Tuple[int, ...]  # x of each tile column's left edge

  @property
  def image_size(self) -> Size:
    return (self.image_height, self.image_width)

  @property
  def tile_size(self) -> Size:
    return (self.tile_height, self.tile_width)

  @property
  def num_tiles(self) -> int:
    return len(self.rows) * len(self.cols)

  def boxes(self) -> List[Tuple[int, int, int, int]]:
    """(y0, x0, y1, x1) of every tile, row-major; y1, x1 exclusive."""
    return [(y, x, y + self.tile_height, x + self.tile_width)
            for y in self.rows for x in self.cols]

  def axis_coverage(self) -> Tuple[np.ndarray, np.ndarray]:
    """How many tile rows cover each y, and tile columns each x."""
    rows = np.zeros(self.image_height, np.int32)
    for y in self.rows:
      rows[y:y + self.tile_height] += 1
    cols = np.zeros(self.image_width, np.int32)
    for x in self.cols:
      cols[x:x + self.tile_width] += 1
    return rows, cols

  def coverage(self) -> np.ndarray:
    """(H, W) int32: how many tiles cover each pixel (all >= 1)."""
    rows, cols = self.axis_coverage()
    return rows[:, None] * cols[None, :]


def make_grid(image_size: Size, tile_size: Optional[Size] = None,
              stride: Optional[Size] = None) -> TileGrid:
  """The tiling of (height, width) images.

  Args:
    image_size: (height, width) of the images.
    tile_size: (height, width) of a tile; None makes the whole image one
      tile (it is then resized to the model input as a whole).
    stride: (y, x) step between tiles; None means tile_size (no overlap
      except the border-aligned last row and column).

  Raises:
    ConfigError: a tile larger than the image, or a stride < 1.
  """
  height, width = (int(v) for v in image_size)
  if tile_size is None:
    tile_size = (height, width)
  tile_h, tile_w = (int(v) for v in tile_size)
  stride_y, stride_x = (int(v) for v in (stride or (tile_h, tile_w)))
  if tile_h > height or tile_w > width:
    raise ConfigError(
        f'Tile {format_size((tile_h, tile_w))} is larger than the '
        f'{format_size((height, width))} images; use --tile_size at most '
        f'{format_size((height, width))}.')
  return TileGrid(height, width, tile_h, tile_w,
                  tile_starts(height, tile_h, stride_y),
                  tile_starts(width, tile_w, stride_x))


def extract_tiles(images, grid: TileGrid):
  """Cuts (N, H, W, C) images into (N * T, th, tw, C) tiles, image-major."""
  images = tf.convert_to_tensor(images)
  if images.shape.rank != 4 or tuple(images.shape[1:3]) != grid.image_size:
    raise InputError(f'extract_tiles expects (N, {grid.image_height}, '
                     f'{grid.image_width}, C) images, got {images.shape}.')
  if grid.num_tiles == 1:
    return images
  tiles = tf.stack([images[:, y0:y1, x0:x1] for y0, x0, y1, x1
                    in grid.boxes()], axis=1)
  return tf.reshape(tiles, [-1, grid.tile_height, grid.tile_width,
                            tiles.shape[-1]])


def resize(images, size: Size):
  """Bilinear resize of (M, h, w, C) to size, antialiased when shrinking.

  The same filter as `ganad_tf.data.datasets.preprocess_images`; a no-op at
  equal size, so untiled model-sized inputs pass through bit-exactly.
  """
  images = tf.convert_to_tensor(images)
  height, width = images.shape[1], images.shape[2]
  if (height, width) == tuple(size):
    return images
  antialias = size[0] < height or size[1] < width
  return tf.image.resize(images, size, method='bilinear', antialias=antialias)


def center(tiles):
  """Subtracts each tile's mean intensity; clips to the model's [-1, 1]."""
  mean = tf.reduce_mean(tiles, axis=[1, 2, 3], keepdims=True)
  return tf.clip_by_value(tiles - mean, -1.0, 1.0)


def to_model_input(tiles, input_size: int, centred: bool = False):
  """Tiles in [-1, 1] -> (M, S, S, C) model inputs, clipped to [-1, 1].

  The one definition of what the generator sees, for training tiles and the
  inference graph alike. Resampling filters can overshoot by a rounding
  error; the clip keeps the tiles in the generator's training range.

  Args:
    tiles: (M, h, w, C) tiles scaled to [-1, 1].
    input_size: the model input side S.
    centred: subtract each tile's mean first (DetectorSettings.center_tiles).
  """
  tiles = tf.clip_by_value(resize(tiles, (input_size, input_size)), -1.0, 1.0)
  return center(tiles) if centred else tiles


def tiles_for_model(images, grid: TileGrid, input_size: int,
                    centred: bool = False):
  """Images in [-1, 1] -> (N * T, S, S, C) model inputs (`to_model_input`)."""
  return to_model_input(extract_tiles(images, grid), input_size, centred)


def stitch(tile_maps, grid: TileGrid, mode: str = 'mean'):
  """Places per-tile maps back into full-size maps.

  Args:
    tile_maps: (N * T, h, w) maps of the tiles, image-major; resized to the
      tile size first when (h, w) differs from it.
    grid: the grid the tiles came from.
    mode: 'mean' averages overlapping tiles, 'max' keeps the largest value.

  Returns:
    (N, H, W) float32 maps.
  """
  if mode not in STITCH_MODES:
    raise ConfigError(f'Unknown stitch mode {mode!r}; choose one of '
                      f'{STITCH_MODES}.')
  maps = tf.convert_to_tensor(tile_maps, tf.float32)
  maps = resize(maps[..., None], grid.tile_size)[..., 0]
  num_rows, num_cols = len(grid.rows), len(grid.cols)
  tile_h, tile_w = grid.tile_size
  if grid.num_tiles == 1:
    return maps
  # Scatter every tile pixel to its image position; indices are built from
  # the few grid offsets so no per-pixel table is stored in a SavedModel.
  ys = (tf.constant(grid.rows, tf.int32)[:, None] +
        tf.range(tile_h, dtype=tf.int32)[None, :])          # (R, th)
  xs = (tf.constant(grid.cols, tf.int32)[:, None] +
        tf.range(tile_w, dtype=tf.int32)[None, :])          # (C, tw)
  index_y = tf.broadcast_to(ys[:, None, :, None],
                            [num_rows, num_cols, tile_h, tile_w])
  index_x = tf.broadcast_to(xs[None, :, None, :],
                            [num_rows, num_cols, tile_h, tile_w])
  indices = tf.stack([index_y, index_x], axis=-1)
  # (N*T, th, tw) -> (R, C, th, tw, N): batch last, so one scatter serves
  # every image.
  updates = tf.reshape(maps, [-1, num_rows, num_cols, tile_h, tile_w])
  updates = tf.transpose(updates, [1, 2, 3, 4, 0])
  shape = tf.stack([grid.image_height, grid.image_width, tf.shape(updates)[-1]])
  zeros = tf.zeros(shape, tf.float32)
  if mode == 'max':
    # Every pixel is covered, so starting from the lowest float is safe.
    stitched = tf.tensor_scatter_nd_max(zeros + np.finfo(np.float32).min,
                                        indices, updates)
  else:
    totals = tf.tensor_scatter_nd_add(zeros, indices, updates)
    # Coverage is separable: tiles covering (y, x) = rows covering y times
    # columns covering x.
    rows, cols = grid.axis_coverage()
    counts = tf.constant(rows, tf.float32)[:, None] * tf.constant(
        cols, tf.float32)[None, :]
    stitched = totals / counts[..., None]
  return tf.transpose(stitched, [2, 0, 1])


def mask_overlaps(mask: np.ndarray, grid: TileGrid) -> np.ndarray:
  """(T,) int: pixels of a (H, W) boolean mask inside each tile."""
  integral = np.pad(np.asarray(mask, bool).cumsum(0).cumsum(1), ((1, 0),
                                                                 (1, 0)))
  return np.array([integral[y1, x1] - integral[y0, x1] - integral[y1, x0] +
                   integral[y0, x0] for y0, x0, y1, x1 in grid.boxes()],
                  np.int64)


def defect_tiles(mask: np.ndarray, grid: TileGrid,
                 min_share: float) -> np.ndarray:
  """Which grid tiles are on the defect (bool per tile).

  A tile counts if it holds at least min_share of the mask pixels of the
  best-covered tile, so a tile grazing the defect's edge does not count.
  """
  overlaps = mask_overlaps(mask, grid)
  return overlaps >= max(1, min_share * overlaps.max())
