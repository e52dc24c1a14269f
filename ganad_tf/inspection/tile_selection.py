"""Choosing a detector's training tiles (paper Sec. 3.5, 4.1).

Every training sample is a tile-sized crop (image index, y0, x0) of a
training image, scaled and resized exactly as the inference graph does
(`tiles.to_model_input`). Tiles of normal images are normal tiles. Anomaly
tiles are the tiles that show a defect:

* 'mask': tiles overlapping the defect mask (masks/<kind>/<file>); a tile
  counts if it holds at least `min_mask_share` of the mask pixels of the
  best-covered tile of that image, so a tile grazing the defect's edge is
  not trained on as if it were a defect (with `defect_crops='centred'`,
  tile-sized crops around each defect instead);
* 'max_error' (our design: the paper's patches were cropped around the
  defects by hand, which a folder of labelled images does not give): a
  generator is first trained briefly on normal tiles only
  (`normal_only_config`); then each defect image's `tiles_per_defect_image`
  tiles with the highest reconstruction error are its anomaly tiles;
* 'auto': 'mask' for each defect image that has a mask, else 'max_error'.

Defect kinds are then balanced to the rarest kind's tile count and normal
tiles to `normal_ratio` times the total, each by k-means sampling within
the kind so the sample keeps the kind's variety (ganad_tf.data.sampling).
"""

import dataclasses
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ganad_tf.data import sizes
from ganad_tf.core import config as config_lib
from ganad_tf.pixels import to_model_range
from ganad_tf.data import folder_data
from ganad_tf.data import sampling
from ganad_tf.errors import ConfigError, DatasetError
from ganad_tf.inspection import tiles
from ganad_tf.inspection.settings import DetectorSettings

Crop = Tuple[int, int, int]  # (image index, y0, x0)
# (normal training tiles, defect image indices) -> their tile scores (n, T)
# under a normal-only model; see `normal_only_config`.
ErrorScorer = Callable[[np.ndarray, List[int]], np.ndarray]

# k-means sees tiles shrunk to this size (sampling.FEATURE_SIZE).
THUMBNAIL = sampling.FEATURE_SIZE
# At most this many normal tiles are clustered; more are subsampled first.
MAX_KMEANS_POOL = 20000
# Crops scaled and resized at a time (bounds memory).
_CROP_CHUNK = 256


@dataclasses.dataclass
class TrainingTiles:
  """Model-ready training tiles (M, S, S, C) and how they were chosen."""
  normal: np.ndarray
  anomaly: np.ndarray
  info: Dict[str, Any]


def crops(images: np.ndarray, samples: Sequence[Crop],
          tile_size: Tuple[int, int], size: int,
          centred: bool) -> np.ndarray:
  """Tile-sized crops of uint8 images as size x size model inputs.

  The same arithmetic as the inference graph (to_model_range, then
  tiles.to_model_input), so training tiles match what the model scores.
  """
  tile_h, tile_w = tile_size
  out = np.empty((len(samples), size, size, images.shape[-1]), np.float32)
  for start in range(0, len(samples), _CROP_CHUNK):
    chunk = samples[start:start + _CROP_CHUNK]
    pixels = np.stack([images[i, y:y + tile_h, x:x + tile_w]
                       for i, y, x in chunk])
    out[start:start + len(chunk)] = tiles.to_model_input(
        to_model_range(pixels), size, centred).numpy()
  return out


def kmeans_pick(images: np.ndarray, pool: List[Crop], count: int,
                num_clusters: int, seed: int, tile_size: Tuple[int, int],
                centred: bool) -> List[Crop]:
  """`count` crops of `pool`, spread over k-means clusters of thumbnails."""
  if count >= len(pool):
    return list(pool)
  thumbs = crops(images, pool, tile_size, THUMBNAIL, centred)
  chosen = sampling.kmeans_sample(thumbs, count, num_clusters, seed)
  return [pool[j] for j in chosen]


def mask_crops(mask: np.ndarray, grid: tiles.TileGrid, defect_crops: str,
               min_share: float) -> List[Tuple[int, int]]:
  """Top-left corners of the anomaly crops of one defect mask.

  'grid': the grid tiles holding at least min_share of the mask pixels of
  the best-covered tile. 'centred': per connected defect, a tile-sized crop
  centred on it plus four shifted by a quarter tile diagonally (so the
  defect is not always in the middle), clamped inside the image.
  """
  if defect_crops == 'grid':
    boxes = grid.boxes()
    on = tiles.defect_tiles(mask, grid, min_share)
    return [boxes[t][:2] for t in np.flatnonzero(on)]
  import scipy.ndimage  # pylint: disable=g-import-not-at-top
  tile_h, tile_w = grid.tile_size
  height, width = grid.image_size
  components, _ = scipy.ndimage.label(mask, structure=np.ones((3, 3)))
  corners = []
  for found in scipy.ndimage.find_objects(components):
    centre_y = (found[0].start + found[0].stop) / 2
    centre_x = (found[1].start + found[1].stop) / 2
    for dy, dx in ((0, 0), (-1, -1), (-1, 1), (1, -1), (1, 1)):
      y = int(round(centre_y - tile_h / 2 + dy * tile_h / 4))
      x = int(round(centre_x - tile_w / 2 + dx * tile_w / 4))
      corner = (min(max(y, 0), height - tile_h), min(max(x, 0), width - tile_w))
      if corner not in corners:
        corners.append(corner)
  return corners


def top_error_tiles(tile_scores: np.ndarray, image_ids: Sequence[int],
                    grid: tiles.TileGrid,
                    top: int) -> Dict[int, List[Tuple[int, int]]]:
  """Top-left corners of each image's `top` highest-scoring grid tiles."""
  boxes = grid.boxes()
  return {int(i): [boxes[t][:2] for t in
                   np.argsort(-scores, kind='stable')[:top]]
          for i, scores in zip(image_ids, tile_scores)}


def normal_only_config(config: config_lib.CoreConfig, epochs: int):
  """The config of the brief normal-only model behind 'max_error': the
  paper's normal group (a classifier's too: it needs a reconstruction)."""
  kind = 'gan' if config.model.kind == 'classifier' else config.model.kind
  # No head without anomalies: G alone, scored by its reconstruction.
  return config_lib.replace(config_lib.without_encoder_head(config),
                            model={'kind': kind},
                            weights={'abc': 0.0, 'anomaly_adv': 0.0},
                            train={'epochs': epochs, 'min_steps': 0})


def select_training_tiles(train: folder_data.FolderData,
                          grid: tiles.TileGrid, settings: DetectorSettings,
                          input_size: int, kmeans_k: int, seed: int,
                          with_anomalies: bool,
                          score_tiles: Optional[ErrorScorer] = None
                          ) -> TrainingTiles:
  """Balanced normal and anomaly training tiles at the model input size.

  Args:
    train: the training images.
    grid: the scoring grid of their size.
    settings: tiling and selection choices.
    input_size: the model input side.
    kmeans_k: clusters per kind for the balanced sampling.
    seed: the sampling seed.
    with_anomalies: False picks normal tiles only (anomaly losses off).
    score_tiles: scores defect images' tiles under a normal-only model;
      called once, only for defect images that need 'max_error'.

  Raises:
    DatasetError: anomaly_tiles='mask' and a defect image has no mask.
  """
  starts = [box[:2] for box in grid.boxes()]
  normal_pool = [(i, y, x) for i in np.flatnonzero(train.labels == 0)
                 for y, x in starts]
  if len(normal_pool) > MAX_KMEANS_POOL:
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(normal_pool), MAX_KMEANS_POOL,
                              replace=False))
    normal_pool = [normal_pool[j] for j in keep]

  def pick(pool, count, pick_seed):
    return kmeans_pick(train.images, pool, count, kmeans_k, pick_seed,
                       grid.tile_size, settings.center_tiles)

  def model_tiles(samples):
    return crops(train.images, samples, grid.tile_size, input_size,
                 settings.center_tiles)

  info: Dict[str, Any] = {'grid': {
      'tile_size': sizes.format_size(grid.tile_size),
      'rows': len(grid.rows), 'cols': len(grid.cols)}}
  if not with_anomalies:
    count = min(settings.max_normal_tiles, len(normal_pool))
    normal_pick = pick(normal_pool, count, seed)
    info.update(normal=len(normal_pick), anomaly={}, method={})
    return TrainingTiles(
        model_tiles(normal_pick),
        np.zeros((0, input_size, input_size, train.channels), np.float32),
        info)

  # Candidate anomaly crops per defect image: from its mask, or later from
  # a normal-only model's errors.
  by_mask: Dict[int, List[Tuple[int, int]]] = {}
  need_errors: List[int] = []
  mode = settings.anomaly_tiles
  for i in np.flatnonzero(train.labels > 0):
    mask = train.masks[i]
    has_mask = mask is not None and mask.any()
    if grid.num_tiles == 1:
      by_mask[i] = [starts[0]]  # the whole image is the one tile
    elif mode in ('mask', 'auto') and has_mask:
      by_mask[i] = mask_crops(mask, grid, settings.defect_crops,
                              settings.min_mask_share)
    elif mode == 'mask':
      raise DatasetError(
          f'--anomaly_tiles=mask but {train.files[i]} has no (non-empty) '
          f'mask in masks/. Add masks for every defect image, or use '
          '--anomaly_tiles=auto (masks where present, else the highest '
          'error tiles) or --anomaly_tiles=max_error.')
    else:
      need_errors.append(i)
  per_kind = {}
  for label in range(1, len(train.kinds)):
    members = np.flatnonzero(train.labels == label)
    per_kind[label] = sum(len(by_mask[i]) if i in by_mask else
                          settings.tiles_per_defect_image for i in members)
  quota = min(per_kind.values())
  normal_count = min(int(round(settings.normal_ratio * quota *
                               len(per_kind))),
                     settings.max_normal_tiles, len(normal_pool))
  normal_pick = pick(normal_pool, normal_count, seed)
  normal_tiles = model_tiles(normal_pick)

  by_error: Dict[int, List[Tuple[int, int]]] = {}
  if need_errors:
    if score_tiles is None:
      raise ConfigError('Choosing anomaly tiles by error needs score_tiles; '
                        'pass it, or give every defect image a mask.')
    by_error = top_error_tiles(score_tiles(normal_tiles, need_errors),
                               need_errors, grid,
                               settings.tiles_per_defect_image)
  anomaly_pick = []
  for offset, label in enumerate(sorted(per_kind)):
    members = np.flatnonzero(train.labels == label)
    pool = [(i, y, x) for i in members
            for y, x in by_mask.get(i, by_error.get(i, []))]
    anomaly_pick += pick(pool, quota, seed * 1000 + offset + 1)
  info.update(
      normal=len(normal_pick),
      anomaly={train.kinds[label]: quota for label in per_kind},
      anomaly_candidates={train.kinds[label]: n
                          for label, n in per_kind.items()},
      method={'mask': len(by_mask) if grid.num_tiles > 1 else 0,
              'max_error': len(by_error),
              'whole_image': len(by_mask) if grid.num_tiles == 1 else 0},
      defect_crops=settings.defect_crops)
  return TrainingTiles(normal_tiles, model_tiles(anomaly_pick), info)


def describe(info: Dict[str, Any]) -> str:
  """One line on a TrainingTiles.info: counts per kind and the method."""
  anomaly = info.get('anomaly', {})
  per_kind = ', '.join(f'{k}={v}' for k, v in anomaly.items())
  return (f'{info["normal"]} normal tiles + {sum(anomaly.values())} anomaly '
          f'tiles ({per_kind or "none"}), anomaly tiles chosen by '
          f'{info.get("method")}')
