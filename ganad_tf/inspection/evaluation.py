"""Test metrics of a detector: per image, per tile and per pixel.

Image level: AUROC and precision / recall / F1 at the stored threshold,
overall and per defect kind. Where defect masks exist, tile level (tiles on
a defect against all tiles of normal images, the paper's patch-level
protocol) and pixel level (do the heat maps sit on the defects?).
"""

from typing import Any, Dict, Iterable, Optional, Tuple

import numpy as np

from ganad_tf.core import metrics
from ganad_tf.data import folder_data
from ganad_tf.errors import DatasetError
from ganad_tf.inspection import tiles

# Pixels sampled per image for the pixel-level AUROC.
PIXELS_PER_IMAGE = 4000


def tile_auroc(data: folder_data.FolderData, tile_scores: np.ndarray,
               grid: tiles.TileGrid,
               min_share: float) -> Optional[Dict[str, Any]]:
  """AUROC of defect tiles (as 'mask' selection picks them) vs the tiles of
  normal images; None without masked defect images or normal images."""
  positives = []
  for index in np.flatnonzero(data.labels > 0):
    mask = data.masks[index]
    if mask is None or not mask.any():
      continue
    positives.append(tile_scores[index][tiles.defect_tiles(mask, grid,
                                                           min_share)])
  negatives = tile_scores[data.labels == 0].ravel()
  if not positives or not len(negatives):
    return None
  positives = np.concatenate(positives)
  return {'auroc': metrics.auroc(
      np.r_[np.ones(len(positives)), np.zeros(len(negatives))],
      np.r_[positives, negatives]),
          'defect_tiles': len(positives), 'normal_tiles': len(negatives)}


class PixelTracker:
  """Accumulates pixel-level evidence that heat maps sit on the defects.

  Args:
    data: the images whose maps are added, in order (their masks).
    seed: seeds the pixel sample.
  """

  def __init__(self, data: folder_data.FolderData, seed: int):
    self._data = data
    self._rng = np.random.default_rng(seed)
    self._values, self._truth = [], []
    self._hits, self._near, self._with_mask = 0, 0, 0
    # "Near": within 2% of the image diagonal, a few pixels at any size.
    height, width = data.image_size
    self._tolerance = max(2.0, 0.02 * float(np.hypot(height, width)))

  def add(self, start: int, maps: np.ndarray):
    """Adds the heat maps (n, H, W) of images start .. start + n - 1."""
    import scipy.ndimage  # pylint: disable=g-import-not-at-top
    for offset, heat in enumerate(maps):
      index = start + offset
      mask = self._data.masks[index]
      is_defect = self._data.labels[index] > 0
      if is_defect and (mask is None or not mask.any()):
        continue  # a defect image without a mask says nothing per pixel
      mask = (np.zeros(heat.shape, bool) if mask is None else mask)
      flat = heat.ravel()
      picks = self._rng.choice(flat.size, min(PIXELS_PER_IMAGE, flat.size),
                               replace=False)
      # All defect pixels (they are rare) plus a uniform pixel sample.
      positives = np.flatnonzero(mask.ravel())
      picks = np.union1d(picks, positives)
      self._values.append(flat[picks])
      self._truth.append(mask.ravel()[picks])
      if is_defect:
        self._with_mask += 1
        y, x = np.unravel_index(np.argmax(heat), heat.shape)
        self._hits += int(mask[y, x])
        distance = scipy.ndimage.distance_transform_edt(~mask)[y, x]
        self._near += int(distance <= self._tolerance)

  def result(self) -> Dict[str, Any]:
    """{'pixel': metrics}, or {'pixel': None} without masked defects."""
    if not self._with_mask:
      return {'pixel': None}
    values = np.concatenate(self._values)
    truth = np.concatenate(self._truth)
    # Every defect pixel is kept and normal pixels are sampled uniformly
    # within equally sized images, so this estimates the all-pixel AUROC.
    return {'pixel': {
        'auroc_sampled': metrics.auroc(truth, values),
        'defect_images_with_masks': self._with_mask,
        'hottest_pixel_on_defect': self._hits / self._with_mask,
        'hottest_pixel_near_defect': self._near / self._with_mask,
        'near_tolerance_px': round(self._tolerance, 1),
        'note': 'AUROC over all defect pixels plus a uniform sample of '
                f'{PIXELS_PER_IMAGE} pixels per image (normal and defect '
                'images).'}}


def evaluate(data: folder_data.FolderData,
             chunks: Iterable[Tuple[int, Dict[str, np.ndarray]]],
             threshold: float, grid: tiles.TileGrid, min_mask_share: float,
             seed: int, pixel_level: bool = True) -> Dict[str, Any]:
  """Image-, tile- and (optionally) pixel-level metrics of `data`.

  Args:
    data: the labelled images (with masks where known).
    chunks: (first image index, outputs) per inference call over
      data.images in order (inference.batches): 'score' and 'tile_scores',
      and 'error_map' with pixel_level.
    threshold: the decision threshold.
    grid: the tiling the tile scores come from.
    min_mask_share: which tiles count as defect tiles (tiles.defect_tiles).
    seed: seeds the pixel sample.
    pixel_level: also compare heat maps with the masks.

  Returns:
    auroc (%), precision / recall / F1 at the threshold, counts, per-kind
    AUROC and recall, tile AUROC and pixel metrics (see the module
    docstring) and every image's score.

  Raises:
    DatasetError: no images.
  """
  labels = data.is_anomaly.astype(np.int64)
  tracker = PixelTracker(data, seed)
  scores, tile_scores = [], []
  for start, out in chunks:
    scores.append(out['score'])
    tile_scores.append(out['tile_scores'])
    if pixel_level:
      tracker.add(start, out['error_map'])
  if not scores:
    raise DatasetError('There are no images to evaluate.')
  scores = np.concatenate(scores)
  tile_scores = np.concatenate(tile_scores)
  result = metrics.detection_metrics(labels, scores, threshold)
  result['auroc'] = (metrics.auroc(labels, scores)
                     if len(set(labels.tolist())) == 2 else None)
  result['counts'] = data.counts()
  normal_scores = scores[labels == 0]
  result['per_kind'] = {}
  for index, kind in enumerate(data.kinds[1:], 1):
    members = scores[data.labels == index]
    if len(members):
      result['per_kind'][kind] = {
          'count': len(members),
          'recall': float(np.mean(members >= threshold)),
          'auroc': metrics.auroc(
              np.r_[np.zeros(len(normal_scores)), np.ones(len(members))],
              np.r_[normal_scores, members]) if len(normal_scores)
                   else None}
  result['tile'] = tile_auroc(data, tile_scores, grid, min_mask_share)
  if pixel_level:
    result.update(tracker.result())
  result['scores'] = {'files': data.files, 'labels': labels.tolist(),
                      'scores': scores.tolist()}
  return result
