"""Defect detection on large photos: train from a folder, score, export.

`Detector` wraps the paper's method for the inspection use case (Sec. 4.1):
large images are cut into tiles (the paper's "patches"), each tile is
resized to the model input, scored by its reconstruction error, and

  image score = max over the image's tile scores,
  heat map    = the tiles' per-pixel error maps, resized back to tile size
                and stitched into a full-size map (see ganad_tf.inspection.patches).

Training set (paper Sec. 3.5, 4.1). Tiles of normal images are normal
tiles. Anomaly tiles are the tiles that show a defect:

* 'mask': tiles overlapping the defect mask (masks/<kind>/<file>); a tile
  counts if it holds at least `min_mask_share` of the mask pixels of the
  best-covered tile of that image, so a tile grazing the defect's edge is
  not trained on as if it were a defect (with `defect_crops='centred'`,
  tile-sized crops around each defect instead);
* 'max_error' (our design: the paper's patches were cropped around the
  defects by hand, which a folder of labelled images does not give): a
  generator is first trained briefly on normal tiles only; then each
  defect image's `tiles_per_defect_image` tiles with the highest
  reconstruction error are its anomaly tiles;
* 'auto': 'mask' for each defect image that has a mask, else 'max_error'.

Defect kinds are then balanced to the rarest kind's tile count and normal
tiles to `normal_ratio` times the total, each by k-means sampling within
the kind so the sample keeps the kind's variety (ganad_tf.data.sampling).

Tile centring (our design; `center_tiles`, on by default). Photos of metal
are lit unevenly: one tile is much brighter than another. Without centring
the reconstruction error grows with brightness and the brightest tiles, not
the defects, get the highest scores (on the synthetic set the heat lay on
the light band and image AUROC was near chance). Subtracting each tile's
mean intensity before the generator removes that; a stain or dent still
differs from its own tile's mean, so it stays visible.

Threshold. `calibrate` sets it on the validation split held out by `fit`:
by default the one with the best F1; with `target_fpr` the lowest one whose
false-positive rate on normal validation images is at most that. The
validation AUROC and precision / recall / F1 at the threshold are stored.

Inference runs in one TensorFlow graph (`InferenceModule`): scaling,
tiling, resizing, generator, errors, stitching and the max. `export` saves
exactly that graph as a SavedModel that needs only TensorFlow to serve.
"""

import csv
import dataclasses
import datetime
import logging
import os
import shutil
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import keras
import numpy as np
from PIL import Image, ImageDraw, ImageFont
import tensorflow as tf

from ganad_tf.core import config as config_lib
from ganad_tf.data import folder_data
from ganad_tf import io_utils
from ganad_tf.core import metrics
from ganad_tf.core import models
from ganad_tf.inspection import patches
from ganad_tf.inspection.config import InspectionConfig
from ganad_tf.data import sampling
from ganad_tf.data import splits
from ganad_tf.core import scoring
from ganad_tf.data.checks import check_finite
from ganad_tf.errors import ConfigError, DatasetError, InputError, OutputError
from ganad_tf.progress import ProgressLogger
from ganad_tf.core.trainer import Trainer
from ganad_tf.core.trainer import shared_trainer

logger = logging.getLogger('ganad_tf')

ANOMALY_TILE_CHOICES = ('auto', 'mask', 'max_error')
DEFECT_CROP_CHOICES = ('grid', 'centred')
GENERATOR_FILE = 'generator.keras'
DETECTOR_FILE = 'detector.json'
SERVING_INFO_FILE = 'serving_info.json'
FORMAT_VERSION = 1
# Without defect images the threshold can only come from normal images.
DEFAULT_NORMAL_ONLY_FPR = 0.01
# k-means sees tiles shrunk to this size (sampling.FEATURE_SIZE).
_THUMBNAIL = sampling.FEATURE_SIZE
# At most this many normal tiles are clustered; more are subsampled first.
_MAX_KMEANS_POOL = 20000
# Pixels sampled per image for the pixel-level AUROC.
_PIXELS_PER_IMAGE = 4000


@dataclasses.dataclass
class DetectorSettings:
  """How images are read and tiled and how the training tiles are chosen.

  Attributes:
    tile_size: (height, width) of a tile in image pixels; None scores the
      whole image resized to the model input (fine when defects are large).
    tile_stride: (y, x) step between tiles; None = tile_size. Smaller
      strides overlap tiles: smoother heat maps, more compute.
    channels: 'auto' (1 if every training image is grayscale, else 3), 1, 3.
    resize_to: (height, width) every image is resized to when read; needed
      when the photos have different sizes.
    anomaly_tiles: 'auto', 'mask' or 'max_error' (module docstring).
    tiles_per_defect_image: anomaly tiles taken per defect image by
      'max_error'.
    selection_epochs: epochs of the normal-only model used by 'max_error'.
    min_mask_share: see 'mask' in the module docstring.
    defect_crops: where anomaly crops from masks lie: 'grid' (the scoring
      grid's tiles on the defect) or 'centred' (tile-sized crops around each
      defect, like the paper's hand-cropped defect patches).
    normal_ratio: normal training tiles per anomaly training tile (paper: 1,
      a balanced set).
    max_normal_tiles: cap on normal training tiles (memory); also their
      count when training on normal images only.
    stitch: 'mean' or 'max' of overlapping tiles in heat maps.
    target_fpr: None calibrates the threshold for the best validation F1;
      a rate in [0, 1) for at most that false-positive rate instead.
    center_tiles: subtract each tile's mean intensity before the model (and
      clip to [-1, 1]), so lighting differences between tiles do not show
      up as reconstruction error; the model sees texture and local defects.
      Our design, not the paper's (False reproduces the paper); see the
      module docstring.
  """
  tile_size: Optional[Tuple[int, int]] = None
  tile_stride: Optional[Tuple[int, int]] = None
  channels: Union[str, int] = 'auto'
  resize_to: Optional[Tuple[int, int]] = None
  anomaly_tiles: str = 'auto'
  tiles_per_defect_image: int = 1
  selection_epochs: int = 5
  min_mask_share: float = 0.25
  defect_crops: str = 'grid'
  normal_ratio: float = 1.0
  max_normal_tiles: int = 4096
  stitch: str = 'mean'
  target_fpr: Optional[float] = None
  center_tiles: bool = True

  def __post_init__(self):
    self.tile_size = patches.parse_size(self.tile_size, 'tile_size')
    self.tile_stride = patches.parse_size(self.tile_stride, 'tile_stride')
    self.resize_to = patches.parse_size(self.resize_to, 'resize_to')
    self.channels = folder_data.parse_channels(self.channels)

  def validate(self):
    """Raises ConfigError naming the bad setting and its flag."""
    if self.anomaly_tiles not in ANOMALY_TILE_CHOICES:
      raise ConfigError(f'anomaly_tiles={self.anomaly_tiles!r}; choose one of '
                        f'{ANOMALY_TILE_CHOICES} (--anomaly_tiles).')
    if self.defect_crops not in DEFECT_CROP_CHOICES:
      raise ConfigError(f'defect_crops={self.defect_crops!r}; choose one of '
                        f'{DEFECT_CROP_CHOICES} (--defect_crops).')
    if self.stitch not in patches.STITCH_MODES:
      raise ConfigError(f'stitch={self.stitch!r}; choose one of '
                        f'{patches.STITCH_MODES} (--stitch).')
    for name in ('tiles_per_defect_image', 'selection_epochs',
                 'max_normal_tiles'):
      value = getattr(self, name)
      if not isinstance(value, int) or value < 1:
        raise ConfigError(f'{name}={value!r} must be a whole number >= 1 '
                          f'(--{name}).')
    if not 0 <= self.min_mask_share <= 1:
      raise ConfigError(f'min_mask_share={self.min_mask_share} must be in '
                        '[0, 1] (--min_mask_share).')
    if not self.normal_ratio > 0:
      raise ConfigError(f'normal_ratio={self.normal_ratio} must be > 0 '
                        '(--normal_ratio).')
    if self.target_fpr is not None and not 0 <= self.target_fpr < 1:
      raise ConfigError(f'target_fpr={self.target_fpr} must be in [0, 1) '
                        '(--target_fpr), e.g. 0.01 for 1% false alarms.')

  def to_dict(self) -> Dict[str, Any]:
    values = dataclasses.asdict(self)
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in values.items()}

  @classmethod
  def from_dict(cls, values: Dict[str, Any]) -> 'DetectorSettings':
    return config_lib.dataclass_from_dict(cls, values)


@dataclasses.dataclass
class Predictions:
  """Scores, decisions (score >= threshold) and optional heat maps."""
  scores: np.ndarray
  decisions: np.ndarray
  threshold: float
  error_maps: Optional[np.ndarray] = None


def center(tiles):
  """Subtracts each tile's mean intensity; clips to the model's [-1, 1]."""
  mean = tf.reduce_mean(tiles, axis=[1, 2, 3], keepdims=True)
  return tf.clip_by_value(tiles - mean, -1.0, 1.0)


class InferenceModule(tf.Module):
  """The whole inference path as one TensorFlow graph.

  `infer` takes float32 pixel values 0..255 (the Python API's checked
  input); `serve` takes uint8 images and is the SavedModel signature. Both
  return a dict of score (N,), error_map (N, H, W), decision (N,) and
  tile_scores (N, T).
  """

  def __init__(self, generator: keras.Model, image_shape: Sequence[int],
               grid: patches.TileGrid, input_size: int, score_kind: str,
               patch_size: int, patch_stride: int, stitch: str,
               threshold: float = float('inf'), center_tiles: bool = False):
    super().__init__(name='ganad_detector')
    self.generator = generator
    self.threshold = tf.Variable(threshold, dtype=tf.float32, trainable=False,
                                 name='threshold')
    self._grid = grid
    self._input_size = int(input_size)
    self._score_kind = score_kind
    self._patch = (int(patch_size), int(patch_stride))
    self._stitch = stitch
    self._center = bool(center_tiles)
    shape = [None] + [int(v) for v in image_shape]
    # autograph=False: the graph has no data-dependent Python control flow,
    # and tracing then does not re-read this file's source.
    self.infer = tf.function(
        self._infer, input_signature=[tf.TensorSpec(shape, tf.float32)],
        autograph=False)
    self.serve = tf.function(
        self._serve,
        input_signature=[tf.TensorSpec(shape, tf.uint8, name='images')],
        autograph=False)

  def _infer(self, pixels):
    # The same arithmetic as datasets.preprocess_images: 0 -> -1, 255 -> 1.
    images = pixels / 127.5 - 1.0
    tiles = patches.tiles_for_model(images, self._grid, self._input_size)
    if self._center:
      tiles = center(tiles)
    reconstructions, _ = self.generator(tiles, training=False)
    tile_scores = tf.reshape(
        scoring.score_batch(tiles, reconstructions, self._score_kind,
                            *self._patch), [-1, self._grid.num_tiles])
    score = tf.reduce_max(tile_scores, axis=1)
    heat = patches.stitch(scoring.error_map(tiles, reconstructions),
                          self._grid, self._stitch)
    return {'score': score, 'error_map': heat,
            'decision': score >= self.threshold, 'tile_scores': tile_scores}

  def _serve(self, images):
    return self._infer(tf.cast(images, tf.float32))


class Detector:
  """Train on a folder of photos, then score, map, decide, save, export.

  Args:
    config: training configuration (model, loss weights, schedule, model
      input size `data.image_size`, score kind `eval.score`, validation
      share `data.validation_fraction`); default `InspectionConfig()`.
    settings: reading, tiling and training-set choices (DetectorSettings).
    trainer_cache: a dict shared by several Detectors so that they reuse
      traced Trainers of equal structure instead of tracing again (seconds
      each); results do not depend on it.
  """

  def __init__(self, config: Optional[InspectionConfig] = None,
               settings: Optional[DetectorSettings] = None,
               trainer_cache: Optional[Dict[Any, Trainer]] = None):
    self.config = config or InspectionConfig()
    self.settings = settings or DetectorSettings()
    self._trainers = {} if trainer_cache is None else trainer_cache
    self.settings.validate()
    self.config.validate()
    self.generator: Optional[keras.Model] = None
    self.image_shape: Optional[Tuple[int, int, int]] = None
    self.grid: Optional[patches.TileGrid] = None
    self.calibration: Dict[str, Any] = {}
    self.training: Dict[str, Any] = {}
    self.validation: Optional[folder_data.FolderData] = None
    self._module: Optional[InferenceModule] = None

  # ------------------------------------------------------------ training --

  @property
  def input_size(self) -> int:
    return self.config.data.image_size

  @property
  def uses_anomalies(self) -> bool:
    weights = self.config.weights
    return weights.abc > 0 or weights.anomaly_adv > 0

  @property
  def threshold(self) -> float:
    return float(self.calibration.get('threshold', float('inf')))

  def fit(self, data: Union[str, folder_data.FolderData, np.ndarray],
          anomaly_images: Optional[np.ndarray] = None,
          anomaly_kinds: Optional[Sequence[str]] = None,
          anomaly_masks: Optional[np.ndarray] = None,
          run_dir: Optional[str] = None) -> Dict[str, Any]:
    """Trains on a folder or arrays, then calibrates on the validation split.

    Args:
      data: a data folder (see ganad_tf.data.folder_data), loaded FolderData, or
        uint8 normal images (N, H, W, C).
      anomaly_images, anomaly_kinds, anomaly_masks: with array `data`, the
        defect images, their kind names and optional bool masks.
      run_dir: folder for checkpoints (training resumes from them); None
        keeps everything in memory.

    Returns:
      A summary: image and tile counts, training time and losses, and the
      calibration.

    Raises:
      DatasetError: unusable data (see folder_data.load_folder), or anomaly
        losses on but no defect images.
    """
    started = time.monotonic()
    data = self._as_data(data, anomaly_images, anomaly_kinds, anomaly_masks)
    if self.uses_anomalies and not data.defect_kinds:
      raise DatasetError(
          'The anomaly losses are on but there are no defect images. Add '
          'defect folders, or train on normal images only with --w_abc=0 '
          '--w_anomaly_adv=0.')
    held_out = splits.validation_mask(
        data.labels, self.config.data.validation_fraction,
        self.config.data.sampling_seed)
    train = data.subset(np.flatnonzero(~held_out))
    self.validation = data.subset(np.flatnonzero(held_out))
    self.image_shape = tuple(int(v) for v in data.images.shape[1:])
    self.grid = patches.make_grid(data.image_size, self.settings.tile_size,
                                  self.settings.tile_stride)
    logger.info('Training on %s, validating on %s; %d tile(s) of %s per '
                'image, resized to %dx%d.',
                _describe_counts(train), _describe_counts(self.validation),
                self.grid.num_tiles, patches.format_size(self.grid.tile_size),
                self.input_size, self.input_size)
    normal_tiles, anomaly_tiles, tile_info = self._training_tiles(train,
                                                                  run_dir)
    trainer = self._trainer(self.config)
    logger.info('Training: %s.', _tile_description(tile_info))
    result = trainer.fit(normal_tiles, anomaly_tiles,
                         run_dir=_sub(run_dir, 'final'), config=self.config,
                         log_prefix='final ')
    self._set_generator(self._own_copy(trainer.generator))
    self.training = {
        'data_root': data.root,
        'kinds': data.kinds,
        'train_counts': train.counts(),
        'validation_counts': self.validation.counts(),
        'skipped_files': [dataclasses.asdict(s) for s in data.skipped],
        'tiles': tile_info,
        'steps': result.steps,
        'train_seconds': round(result.train_seconds, 1),
        'images_per_second': round(result.images_per_second, 1),
        'final_losses': result.final_losses,
        'parameters': trainer.parameter_counts(),
    }
    if len(self.validation):
      self.calibrate()
    else:
      logger.warning('No validation images (validation_fraction=0); the '
                     'threshold is not calibrated. Call calibrate() with '
                     'labelled images.')
    self.training['fit_seconds'] = round(time.monotonic() - started, 1)
    return {**self.training, 'calibration': self.calibration}

  def _as_data(self, data, anomaly_images, anomaly_kinds,
               anomaly_masks) -> folder_data.FolderData:
    if isinstance(data, folder_data.FolderData):
      return data
    if isinstance(data, (str, os.PathLike)):
      return folder_data.load_folder(
          os.fspath(data), self.settings.channels, self.settings.resize_to,
          require_defects=self.uses_anomalies)
    data = folder_data.from_arrays(data, anomaly_images, anomaly_kinds,
                                   anomaly_masks)
    if self.settings.resize_to is not None:
      raise ConfigError('resize_to applies when reading files; resize the '
                        'arrays yourself before fit().')
    return data

  def _training_tiles(self, train: folder_data.FolderData,
                      run_dir: Optional[str]):
    """Balanced normal and anomaly training tiles at the model input size.

    Every training sample is a tile-sized crop (image index, y0, x0).
    """
    grid, settings = self.grid, self.settings
    seed = self.config.data.sampling_seed
    k = self.config.data.kmeans_k
    starts = [box[:2] for box in grid.boxes()]
    normal_pool = [(i, y, x) for i in np.flatnonzero(train.labels == 0)
                   for y, x in starts]
    if len(normal_pool) > _MAX_KMEANS_POOL:
      rng = np.random.default_rng(seed)
      keep = np.sort(rng.choice(len(normal_pool), _MAX_KMEANS_POOL,
                                replace=False))
      normal_pool = [normal_pool[j] for j in keep]

    info: Dict[str, Any] = {'grid': {
        'tile_size': patches.format_size(grid.tile_size),
        'rows': len(grid.rows), 'cols': len(grid.cols)}}
    if not self.uses_anomalies:
      count = min(settings.max_normal_tiles, len(normal_pool))
      normal_pick = self._kmeans_pick(train, normal_pool, count, k, seed)
      info.update(normal=len(normal_pick), anomaly={}, method={})
      return (self._model_tiles(train, normal_pick),
              np.zeros((0,) + (self.input_size,) * 2 + (train.channels,),
                       np.float32), info)

    # Candidate anomaly crops per defect image: from its mask, or later
    # from a normal-only model's errors.
    by_mask: Dict[int, List[Tuple[int, int]]] = {}
    need_errors: List[int] = []
    mode = settings.anomaly_tiles
    for i in np.flatnonzero(train.labels > 0):
      mask = train.masks[i]
      has_mask = mask is not None and mask.any()
      if grid.num_tiles == 1:
        by_mask[i] = [starts[0]]  # the whole image is the one tile
      elif mode in ('mask', 'auto') and has_mask:
        by_mask[i] = _mask_crops(mask, grid, settings)
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
    normal_pick = self._kmeans_pick(train, normal_pool, normal_count, k, seed)
    normal_tiles = self._model_tiles(train, normal_pick)

    by_error: Dict[int, List[Tuple[int, int]]] = {}
    if need_errors:
      by_error = self._max_error_tiles(train, need_errors, normal_tiles,
                                       run_dir)
    anomaly_pick = []
    for offset, label in enumerate(sorted(per_kind)):
      members = np.flatnonzero(train.labels == label)
      pool = [(i, y, x) for i in members
              for y, x in by_mask.get(i, by_error.get(i, []))]
      anomaly_pick += self._kmeans_pick(train, pool, quota, k,
                                        seed * 1000 + offset + 1)
    info.update(
        normal=len(normal_pick),
        anomaly={train.kinds[label]: quota for label in per_kind},
        anomaly_candidates={train.kinds[label]: n
                            for label, n in per_kind.items()},
        method={'mask': len(by_mask) if grid.num_tiles > 1 else 0,
                'max_error': len(by_error),
                'whole_image': len(by_mask) if grid.num_tiles == 1 else 0},
        defect_crops=settings.defect_crops)
    return normal_tiles, self._model_tiles(train, anomaly_pick), info

  def _max_error_tiles(self, train, image_ids, normal_tiles,
                       run_dir) -> Dict[int, List[Tuple[int, int]]]:
    """Each image's highest-error tiles under a normal-only generator."""
    settings = self.settings
    config = config_lib.replace(
        self.config, weights={'abc': 0.0, 'anomaly_adv': 0.0},
        train={'epochs': settings.selection_epochs})
    logger.info('Choosing anomaly tiles of %d defect image(s) without masks: '
                'training a normal-only model for %d epoch(s) on %d normal '
                'tiles first.', len(image_ids), settings.selection_epochs,
                len(normal_tiles))
    trainer = self._trainer(config)
    trainer.fit(normal_tiles, normal_tiles[:0],
                run_dir=_sub(run_dir, 'selection'), config=config,
                log_prefix='tile selection ')
    module = self._make_module(trainer.generator)
    tile_scores = _run_batched(module, train.images[image_ids],
                               self._images_per_call(),
                               keys=('tile_scores',))['tile_scores']
    top = settings.tiles_per_defect_image
    boxes = self.grid.boxes()
    return {int(i): [boxes[t][:2] for t in
                     np.argsort(-scores, kind='stable')[:top]]
            for i, scores in zip(image_ids, tile_scores)}

  def _trainer(self, config: InspectionConfig) -> Trainer:
    """A Trainer for config at the model input size, traced at most once."""
    shape = (self.input_size, self.input_size, self.image_shape[2])
    return shared_trainer(self._trainers, config, shape, 'folder')

  def _own_copy(self, generator: keras.Model) -> keras.Model:
    """A copy of a (possibly shared) Trainer's generator."""
    model = self.config.model
    copy = models.build_generator(generator.input_shape[1:],
                                  model.base_channels, model.norm)
    copy.set_weights(generator.get_weights())
    return copy

  def _kmeans_pick(self, data, pool: List[Tuple[int, int, int]], count: int,
                   num_clusters: int, seed: int) -> List[Tuple[int, int, int]]:
    """`count` crops of `pool`, spread over k-means clusters."""
    if count >= len(pool):
      return list(pool)
    thumbs = self._crops(data, pool, _THUMBNAIL)
    chosen = sampling.kmeans_sample(thumbs, count, num_clusters, seed)
    return [pool[j] for j in chosen]

  def _crops(self, data, samples: List[Tuple[int, int, int]],
             size: int) -> np.ndarray:
    """Tile-sized crops scaled to [-1, 1] and resized to size x size.

    The same arithmetic as the inference graph (scale, crop, resize, clip),
    so training tiles match what the model sees when scoring.
    """
    tile_h, tile_w = self.grid.tile_size
    out = np.empty((len(samples), size, size, data.channels), np.float32)
    for start in range(0, len(samples), 256):
      chunk = samples[start:start + 256]
      crops = np.stack([data.images[i, y:y + tile_h, x:x + tile_w]
                        for i, y, x in chunk]).astype(np.float32)
      crops = crops / np.float32(127.5) - np.float32(1.0)
      tiles = tf.clip_by_value(patches.resize(crops, (size, size)), -1.0, 1.0)
      if self.settings.center_tiles:
        tiles = center(tiles)
      out[start:start + len(chunk)] = tiles.numpy()
    return out

  def _model_tiles(self, data, samples) -> np.ndarray:
    return self._crops(data, samples, self.input_size)

  # ----------------------------------------------------------- inference --

  def _make_module(self, generator) -> InferenceModule:
    return InferenceModule(
        generator, self.image_shape, self.grid, self.input_size,
        self.config.eval.score, self.config.train.patch_size,
        self.config.train.patch_stride, self.settings.stitch, self.threshold,
        self.settings.center_tiles)

  def _set_generator(self, generator: keras.Model):
    self.generator = generator
    self._module = self._make_module(generator)

  def _require_model(self):
    if self._module is None:
      raise ConfigError('This Detector has no trained model; call fit() or '
                        'Detector.load(model_dir) first.')

  def _images_per_call(self) -> int:
    return max(1, self.config.eval.batch_size // self.grid.num_tiles)

  def check_images(self, images) -> np.ndarray:
    """Validates raw images for this model; returns them as (N, H, W, C).

    Accepts uint8 (or float/int pixel values 0..255) shaped (N, H, W, C),
    or (N, H, W) for a one-channel model. The pixels are not copied: they
    are converted to float32 a batch at a time when scored.

    Raises:
      InputError: wrong rank, size or channel count, NaN/Inf, or values
        outside 0..255; the message says how to fix it.
    """
    self._require_model()
    height, width, channels = self.image_shape
    size = patches.format_size((height, width))
    images = np.asarray(images)
    if images.ndim == 3 and channels == 1 and images.shape[1:] == (height,
                                                                   width):
      images = images[..., None]
    if images.ndim != 4:
      raise InputError(
          f'Images must be a batch (count, height, width, channels) = '
          f'(N, {height}, {width}, {channels}); got shape {images.shape}. '
          'Wrap a single image as images[None].')
    if images.shape[1:3] != (height, width):
      got = patches.format_size(images.shape[1:3])
      hint = (f' (training resized photos with --resize_to='
              f'{patches.format_size(self.settings.resize_to)}; '
              'folder_data.read_image does the same)'
              if self.settings.resize_to else '')
      raise InputError(f'Images are {got} (WIDTHxHEIGHT) but the model takes '
                       f'{size}{hint}; resize or crop them to {size}.')
    if images.shape[3] != channels:
      fix = ('convert them to grayscale' if channels == 1 else
             'convert them to RGB (repeat the gray channel 3 times)')
      raise InputError(f'Images have {images.shape[3]} channel(s) but the '
                       f'model was trained on {channels}; {fix}.')
    if images.dtype == np.uint8:
      return images
    if not (np.issubdtype(images.dtype, np.floating) or
            np.issubdtype(images.dtype, np.integer)):
      raise InputError(f'Images must hold numbers, got dtype {images.dtype}.')
    if np.issubdtype(images.dtype, np.floating):
      check_finite(images, 'Images')
    if images.size and (images.min() < 0 or images.max() > 255):
      raise InputError(
          f'Pixel values must be 0..255 (raw image values); found '
          f'[{images.min():.3g}, {images.max():.3g}]. If the images are '
          'scaled to [0, 1], multiply them by 255.')
    return images

  def infer(self, images, outputs: Sequence[str] = ('score', 'decision')
            ) -> Dict[str, np.ndarray]:
    """Runs the inference graph in batches.

    Args:
      images: raw images (see check_images).
      outputs: any of 'score' (N,), 'decision' (N,), 'error_map' (N, H, W)
        and 'tile_scores' (N, T, tiles in TileGrid.boxes() order).

    Returns:
      Output name -> numpy array.
    """
    pixels = self.check_images(images)
    return _run_batched(self._module, pixels, self._images_per_call(),
                        tuple(outputs))

  def score(self, images) -> np.ndarray:
    """Anomaly score of each image: max over its tiles' scores, (N,)."""
    return self.infer(images, ('score',))['score']

  def error_map(self, images) -> np.ndarray:
    """Full-size heat maps (N, H, W): per-pixel reconstruction error."""
    return self.infer(images, ('error_map',))['error_map']

  def predict(self, images, with_maps: bool = False) -> Predictions:
    """Scores, decisions (score >= threshold) and optionally heat maps."""
    keys = ('score', 'decision') + (('error_map',) if with_maps else ())
    out = self.infer(images, keys)
    return Predictions(out['score'], out['decision'].astype(bool),
                       self.threshold, out.get('error_map'))

  # --------------------------------------------------------- calibration --

  def calibrate(self, images=None, labels=None,
                target_fpr: Optional[float] = None) -> Dict[str, Any]:
    """Sets the decision threshold from labelled images.

    Args:
      images: raw images; default the validation split held out by fit().
      labels: 1 = defect, 0 = normal, per image.
      target_fpr: overrides settings.target_fpr; None there too means the
        best-F1 threshold.

    Returns:
      The stored calibration: threshold, method, validation AUROC (%) and
      precision / recall / F1 / FPR at the threshold, counts, heat scale.

    Raises:
      DatasetError: no images, or no normal images.
    """
    self._require_model()
    if images is None:
      if self.validation is None or not len(self.validation):
        raise DatasetError('There is no validation split to calibrate on; '
                           'pass images and labels, or fit() with '
                           'validation_fraction > 0.')
      images, labels = self.validation.images, self.validation.is_anomaly
    labels = np.asarray(labels).astype(np.int64).ravel()
    pixels = self.check_images(images)
    if len(labels) != len(pixels):
      raise InputError(f'{len(labels)} labels for {len(pixels)} images; give '
                       'one label per image.')
    # Chunked, keeping only what the heat scale needs: full-size maps of a
    # whole validation split would not fit in memory.
    scores, normal_heat, defect_peaks = [], [], []
    step = self._images_per_call()
    for start in range(0, len(pixels), step):
      out = _call(self._module, pixels[start:start + step],
                  ('score', 'error_map'))
      scores.append(out['score'])
      for label, heat in zip(labels[start:start + step], out['error_map']):
        if label:
          defect_peaks.append(float(heat.max()))
        else:
          normal_heat.append(heat[::4, ::4].ravel())
    scores = (np.concatenate(scores) if scores else
              np.zeros([0], np.float32))
    if not np.any(labels == 0):
      raise DatasetError('Calibration needs normal images (label 0): the '
                         'threshold is set against their scores.')
    target_fpr = self.settings.target_fpr if target_fpr is None else (
        target_fpr)
    has_anomalies = bool(np.any(labels == 1))
    if not has_anomalies and target_fpr is None:
      logger.warning('No defect images to calibrate on; using a %.0f%% '
                     'false-positive rate on normal images instead of best '
                     'F1 (set --target_fpr to choose).',
                     100 * DEFAULT_NORMAL_ONLY_FPR)
      target_fpr = DEFAULT_NORMAL_ONLY_FPR
    if target_fpr is None:
      method = 'best_f1'
      threshold = metrics.best_f1_threshold(labels, scores)
    else:
      method = f'target_fpr={target_fpr:g}'
      threshold = metrics.fpr_threshold(scores[labels == 0], target_fpr)
    threshold = _float32_threshold(threshold)
    result = metrics.detection_metrics(labels, scores, threshold)
    result.update(
        method=method, target_fpr=target_fpr,
        auroc=metrics.auroc(labels, scores) if has_anomalies else None,
        num_normal=int(np.sum(labels == 0)),
        num_defect=int(np.sum(labels == 1)),
        heat_scale=_heat_scale(normal_heat, defect_peaks))
    self.calibration = result
    self._module.threshold.assign(threshold)
    logger.info('Threshold %.6g (%s): validation AUROC %s, precision %.3f, '
                'recall %.3f, F1 %.3f on %d normal + %d defect images.',
                threshold, method,
                'n/a' if result['auroc'] is None else f'{result["auroc"]:.2f}',
                result['precision'], result['recall'], result['f1'],
                result['num_normal'], result['num_defect'])
    return result

  def evaluate(self, data: Union[str, folder_data.FolderData],
               pixel_level: bool = True) -> Dict[str, Any]:
    """Image-level (and pixel-level, where masks exist) test metrics.

    Args:
      data: a data folder laid out like the training folder, or FolderData.
      pixel_level: also compare heat maps with the defect masks.

    Returns:
      auroc (%), precision / recall / F1 at the stored threshold, counts,
      per-kind AUROC and recall, and with masks: tile AUROC (%) (tiles on a
      defect against all tiles of normal images, the paper's patch-level
      protocol), pixel AUROC (%) and the share of defect images whose
      hottest pixel lies on the defect.
    """
    self._require_model()
    if not isinstance(data, folder_data.FolderData):
      data = folder_data.load_folder(
          data, self.image_shape[2], self.settings.resize_to,
          require_defects=False)
    labels = data.is_anomaly.astype(np.int64)
    keys = ('score', 'tile_scores') + (('error_map',) if pixel_level else ())
    pixels = self.check_images(data.images)
    tracker = _PixelTracker(data, self.config.data.sampling_seed)
    scores, tile_scores = [], []
    step = self._images_per_call()
    for start in range(0, len(pixels), step):
      out = _call(self._module, pixels[start:start + step], keys)
      scores.append(out['score'])
      tile_scores.append(out['tile_scores'])
      if pixel_level:
        tracker.add(start, out['error_map'])
    if not scores:
      raise DatasetError('There are no images to evaluate.')
    scores = np.concatenate(scores)
    tile_scores = np.concatenate(tile_scores)
    result = metrics.detection_metrics(labels, scores, self.threshold)
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
            'recall': float(np.mean(members >= self.threshold)),
            'auroc': metrics.auroc(
                np.r_[np.zeros(len(normal_scores)), np.ones(len(members))],
                np.r_[normal_scores, members]) if len(normal_scores)
                     else None}
    result['tile'] = _tile_auroc(data, tile_scores, self.grid,
                                 self.settings.min_mask_share)
    if pixel_level:
      result.update(tracker.result())
    result['scores'] = {'files': data.files, 'labels': labels.tolist(),
                        'scores': scores.tolist()}
    return result

  # -------------------------------------------------- saving and export --

  def _state(self) -> Dict[str, Any]:
    return {
        'format_version': FORMAT_VERSION,
        'saved_at': datetime.datetime.now().isoformat(timespec='seconds'),
        'image_shape': list(self.image_shape),
        'input_size': self.input_size,
        'channels': self.image_shape[2],
        'grid': {'image_size': list(self.grid.image_size),
                 'tile_size': list(self.grid.tile_size),
                 'rows': list(self.grid.rows), 'cols': list(self.grid.cols)},
        'score_kind': self.config.eval.score,
        'threshold': self.threshold,
        'calibration': self.calibration,
        'settings': self.settings.to_dict(),
        'config': self.config.to_dict(),
        'training': self.training,
    }

  def save(self, model_dir: str):
    """Writes generator.keras and detector.json (written last) to model_dir."""
    self._require_model()
    model_dir = io_utils.ensure_writable_dir(model_dir)
    io_utils.save_keras_model(os.path.join(model_dir, GENERATOR_FILE),
                              self.generator)
    io_utils.write_json(os.path.join(model_dir, DETECTOR_FILE), self._state())

  @classmethod
  def load(cls, model_dir: str) -> 'Detector':
    """Loads a Detector written by save().

    Raises:
      ConfigError: model_dir is not a saved detector.
    """
    state_path = os.path.join(model_dir, DETECTOR_FILE)
    generator_path = os.path.join(model_dir, GENERATOR_FILE)
    if not (os.path.isfile(state_path) and os.path.isfile(generator_path)):
      raise ConfigError(
          f'{model_dir!r} is not a saved detector: it needs {DETECTOR_FILE} '
          f'and {GENERATOR_FILE}. Pass the --output_dir of a '
          'experiments.train_folder run (--model).')
    try:
      state = io_utils.read_json(state_path)
    except ValueError as error:
      raise ConfigError(f'{state_path} is corrupt ({error}); train again or '
                        'restore it from a backup.') from error
    if state.get('format_version') != FORMAT_VERSION:
      raise ConfigError(f'{state_path} has format version '
                        f'{state.get("format_version")}, this package reads '
                        f'{FORMAT_VERSION}; retrain with this version.')
    settings = dict(state['settings'])
    settings.setdefault('center_tiles', False)  # saved before it existed
    detector = cls(InspectionConfig.from_dict(state['config']),
                   DetectorSettings.from_dict(settings))
    detector.image_shape = tuple(state['image_shape'])
    detector.grid = patches.make_grid(detector.image_shape[:2],
                                      detector.settings.tile_size,
                                      detector.settings.tile_stride)
    detector.calibration = state['calibration']
    detector.training = state['training']
    generator = keras.saving.load_model(generator_path, compile=False)
    detector._set_generator(generator)  # pylint: disable=protected-access
    return detector

  def export(self, export_dir: str) -> str:
    """Writes a TensorFlow SavedModel that serves without this package.

    Signature 'serving_default': images uint8 (batch, H, W, C) at the
    training image size -> score float32 (batch,), error_map float32
    (batch, H, W), decision bool (batch,), tile_scores float32 (batch, T).
    The folder is replaced atomically.

    Returns:
      The export folder.
    """
    self._require_model()
    export_dir = os.path.abspath(export_dir)
    parent = io_utils.ensure_writable_dir(os.path.dirname(export_dir))
    staging = tempfile.mkdtemp(dir=parent, prefix='.export-')
    try:
      tf.saved_model.save(self._module, staging,
                          signatures={'serving_default': self._module.serve})
      io_utils.write_json(os.path.join(staging, SERVING_INFO_FILE),
                          self._serving_info())
      if os.path.exists(export_dir):
        old = tempfile.mkdtemp(dir=parent, prefix='.old-export-')
        os.replace(export_dir, os.path.join(old, 'previous'))
        os.replace(staging, export_dir)
        shutil.rmtree(old, ignore_errors=True)
      else:
        os.replace(staging, export_dir)
    except BaseException:
      shutil.rmtree(staging, ignore_errors=True)
      raise
    logger.info('Exported SavedModel to %s.', export_dir)
    return export_dir

  def _serving_info(self) -> Dict[str, Any]:
    height, width, channels = self.image_shape
    return {
        'signature': 'serving_default',
        'input': {'name': 'images', 'dtype': 'uint8',
                  'shape': [None, height, width, channels],
                  'note': 'raw pixels 0..255' + (
                      f'; resize photos to {width}x{height} first'
                      if self.settings.resize_to else '')},
        'outputs': {
            'score': 'float32 [batch]: max tile score; higher = more '
                     'anomalous',
            'decision': 'bool [batch]: score >= threshold',
            'error_map': f'float32 [batch, {height}, {width}]: heat map',
            'tile_scores': f'float32 [batch, {self.grid.num_tiles}]'},
        'threshold': self.threshold,
        'calibration': self.calibration,
        'example': ("m = tf.saved_model.load(DIR); out = m.signatures["
                    "'serving_default'](images=tf.constant(batch_uint8))"),
    }


# ----------------------------------------------------------------- helpers --


def _sub(run_dir: Optional[str], name: str) -> Optional[str]:
  return os.path.join(run_dir, name) if run_dir else None


def _mask_crops(mask: np.ndarray, grid: patches.TileGrid,
                settings: DetectorSettings) -> List[Tuple[int, int]]:
  """Top-left corners of the anomaly crops of one defect mask.

  'grid': the grid tiles holding at least min_mask_share of the mask pixels
  of the best-covered tile. 'centred': per connected defect, a tile-sized
  crop centred on it plus four shifted by a quarter tile diagonally (so the
  defect is not always in the middle), clamped inside the image.
  """
  if settings.defect_crops == 'grid':
    boxes = grid.boxes()
    on = _defect_tiles(mask, grid, settings.min_mask_share)
    return [boxes[t][:2] for t in np.flatnonzero(on)]
  import scipy.ndimage  # pylint: disable=g-import-not-at-top
  tile_h, tile_w = grid.tile_size
  height, width = grid.image_size
  components, _ = scipy.ndimage.label(mask, structure=np.ones((3, 3)))
  crops = []
  for found in scipy.ndimage.find_objects(components):
    centre_y = (found[0].start + found[0].stop) / 2
    centre_x = (found[1].start + found[1].stop) / 2
    for dy, dx in ((0, 0), (-1, -1), (-1, 1), (1, -1), (1, 1)):
      y = int(round(centre_y - tile_h / 2 + dy * tile_h / 4))
      x = int(round(centre_x - tile_w / 2 + dx * tile_w / 4))
      corner = (min(max(y, 0), height - tile_h), min(max(x, 0), width - tile_w))
      if corner not in crops:
        crops.append(corner)
  return crops


def _defect_tiles(mask: np.ndarray, grid: patches.TileGrid,
                  min_share: float) -> np.ndarray:
  """Which grid tiles are on the defect: those holding at least min_share
  of the mask pixels of the best-covered tile (bool per tile)."""
  overlaps = patches.mask_overlaps(mask, grid)
  return overlaps >= max(1, min_share * overlaps.max())


def _describe_counts(data: folder_data.FolderData) -> str:
  return ', '.join(f'{kind}={n}' for kind, n in data.counts().items())


def _tile_description(info: Dict[str, Any]) -> str:
  anomaly = info.get('anomaly', {})
  per_kind = ', '.join(f'{k}={v}' for k, v in anomaly.items())
  return (f'{info["normal"]} normal tiles + {sum(anomaly.values())} anomaly '
          f'tiles ({per_kind or "none"}), anomaly tiles chosen by '
          f'{info.get("method")}')


def _call(module: InferenceModule, pixels: np.ndarray,
          keys: Sequence[str]) -> Dict[str, np.ndarray]:
  out = module.infer(tf.constant(np.asarray(pixels, np.float32)))
  return {key: out[key].numpy() for key in keys}


def _run_batched(module: InferenceModule, pixels: np.ndarray,
                 images_per_call: int,
                 keys: Sequence[str]) -> Dict[str, np.ndarray]:
  """Runs the module over a batch in chunks; logs progress on big batches."""
  parts = {key: [] for key in keys}
  progress = ProgressLogger(len(pixels), 30.0, prefix='scored ',
                            unit='image') if len(pixels) > 200 else None
  for start in range(0, len(pixels), images_per_call):
    out = _call(module, pixels[start:start + images_per_call], keys)
    for key in keys:
      parts[key].append(out[key])
    if progress:
      progress.update(min(start + images_per_call, len(pixels)))
  if not len(pixels):
    empty = module.infer(tf.zeros((1,) + pixels.shape[1:], tf.float32))
    return {key: empty[key].numpy()[:0] for key in keys}
  return {key: np.concatenate(values) for key, values in parts.items()}


def _float32_threshold(threshold: float) -> float:
  """The float32 threshold that makes the same decisions on float32 scores.

  Scores are float32; a float64 threshold just above a score could round
  down onto it and flag it.
  """
  value = np.float32(threshold)
  if float(value) < threshold:
    value = np.nextafter(value, np.float32(np.inf))
  return float(value)


def _heat_scale(normal_heat: List[np.ndarray],
                defect_peaks: List[float]) -> Dict[str, float]:
  """Heat values for overlays: 'low' is background, 'high' full colour.

  low = 99th percentile of (subsampled) normal-image heat; high = median of
  the defect images' hottest pixels (or 3x low without defect images).
  """
  low = (float(np.percentile(np.concatenate(normal_heat), 99))
         if normal_heat else 0.0)
  high = float(np.median(defect_peaks)) if defect_peaks else 3 * low
  return {'low': low, 'high': max(high, low * 1.5, low + 1e-6)}


def _tile_auroc(data: folder_data.FolderData, tile_scores: np.ndarray,
                grid: patches.TileGrid, min_share: float):
  """AUROC of defect tiles (as in 'mask' selection) vs normal images' tiles."""
  positives = []
  for index in np.flatnonzero(data.labels > 0):
    mask = data.masks[index]
    if mask is None or not mask.any():
      continue
    positives.append(tile_scores[index][_defect_tiles(mask, grid,
                                                      min_share)])
  negatives = tile_scores[data.labels == 0].ravel()
  if not positives or not len(negatives):
    return None
  positives = np.concatenate(positives)
  return {'auroc': metrics.auroc(
      np.r_[np.ones(len(positives)), np.zeros(len(negatives))],
      np.r_[positives, negatives]),
          'defect_tiles': len(positives), 'normal_tiles': len(negatives)}


class _PixelTracker:
  """Accumulates pixel-level evidence that heat maps sit on the defects."""

  def __init__(self, data: folder_data.FolderData, seed: int):
    self._data = data
    self._rng = np.random.default_rng(seed)
    self._values, self._truth = [], []
    self._hits, self._near, self._with_mask = 0, 0, 0
    # "Near": within 2% of the image diagonal, a few pixels at any size.
    height, width = data.image_size
    self._tolerance = max(2.0, 0.02 * float(np.hypot(height, width)))

  def add(self, start: int, maps: np.ndarray):
    import scipy.ndimage  # pylint: disable=g-import-not-at-top
    for offset, heat in enumerate(maps):
      index = start + offset
      mask = self._data.masks[index]
      is_defect = self._data.labels[index] > 0
      if is_defect and (mask is None or not mask.any()):
        continue  # a defect image without a mask says nothing per pixel
      mask = (np.zeros(heat.shape, bool) if mask is None else mask)
      flat = heat.ravel()
      picks = self._rng.choice(flat.size, min(_PIXELS_PER_IMAGE, flat.size),
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
                f'{_PIXELS_PER_IMAGE} pixels per image (normal and defect '
                'images).'}}


# ----------------------------------------------------- folder workflows --

RUNS_DIR = 'runs'
EXPORT_DIR = 'saved_model'
RESULTS_FILE = 'results.json'
PREDICTIONS_FILE = 'predictions.csv'
OVERLAYS_DIR = 'overlays'
EVALUATION_FILE = 'evaluation.json'
_RUN_KEY_FILE = 'run_key.json'


def train_folder(data_dir: str, output_dir: str,
                 config: Optional[InspectionConfig] = None,
                 settings: Optional[DetectorSettings] = None,
                 export: bool = True, overwrite: bool = False,
                 command: Optional[str] = None,
                 trainer_cache: Optional[Dict[Any, Trainer]] = None
                 ) -> Dict[str, Any]:
  """Trains, calibrates, saves and exports a detector for a data folder.

  Writes to output_dir: generator.keras and detector.json (Detector.save),
  saved_model/ (Detector.export), results.json (validation metrics at the
  threshold, counts, timings, command) and runs/ (checkpoints: rerunning
  the same command resumes training). trainer_cache: see Detector.

  Raises:
    OutputError: output_dir holds checkpoints of a different configuration
      or data folder and overwrite is False.
  """
  started = time.monotonic()
  config = config or InspectionConfig()
  settings = settings or DetectorSettings()
  folder_data.class_folders(data_dir)  # fail on a bad folder before writing
  output_dir = io_utils.ensure_writable_dir(output_dir)
  run_dir = os.path.join(output_dir, RUNS_DIR)
  key = {'config': config_lib.fingerprint(config),
         'settings': settings.to_dict(),
         'data_dir': os.path.abspath(data_dir),
         'data_files': folder_data.listing_fingerprint(data_dir)}
  key_path = os.path.join(run_dir, _RUN_KEY_FILE)
  if os.path.isfile(key_path) and io_utils.read_json(key_path) != key:
    if not overwrite:
      raise OutputError(
          f'{output_dir!r} holds training checkpoints of another '
          'configuration or data folder. Choose a new --output_dir, or pass '
          '--overwrite to delete them and train from scratch.')
    shutil.rmtree(run_dir)
  io_utils.write_json(key_path, key)
  detector = Detector(config, settings, trainer_cache)
  summary = detector.fit(data_dir, run_dir=run_dir)
  detector.save(output_dir)
  export_dir = (detector.export(os.path.join(output_dir, EXPORT_DIR))
                if export else None)
  calibration = detector.calibration
  results = {
      'validation': {name: calibration.get(name) for name in (
          'auroc', 'precision', 'recall', 'f1', 'false_positive_rate',
          'accuracy', 'num_normal', 'num_defect', 'true_positives',
          'false_positives', 'false_negatives', 'true_negatives')},
      'threshold': detector.threshold,
      'threshold_method': calibration.get('method'),
      'data_dir': os.path.abspath(data_dir),
      'image_shape': list(detector.image_shape),
      'training': summary,
      'settings': settings.to_dict(),
      'config': config.to_dict(),
      'model_dir': output_dir,
      'export_dir': export_dir,
      'command': command,
      'total_seconds': round(time.monotonic() - started, 1),
  }
  io_utils.write_json(os.path.join(output_dir, RESULTS_FILE), results)
  return results


def render_overlay(image: np.ndarray, heat: np.ndarray,
                   heat_scale: Dict[str, float], score: float,
                   threshold: float, decision: bool,
                   box: Optional[Tuple[int, int, int, int]] = None,
                   max_width: int = 1024):
  """The image with its heat map laid over it, as a PIL image.

  Heat below heat_scale['low'] is transparent; it turns opaque and hot
  towards heat_scale['high']. A banner states score, threshold and
  decision; `box` (y0, x0, y1, x1) outlines the highest-scoring tile.
  """
  # matplotlib is imported only when overlays are drawn: it is slow to load.
  from matplotlib import colormaps  # pylint: disable=g-import-not-at-top
  height, width = image.shape[:2]
  scale = min(1.0, max_width / width)
  size = (max(1, int(round(width * scale))), max(1, int(round(height * scale))))
  base = Image.fromarray(image[..., 0] if image.shape[2] == 1 else image)
  base = np.asarray(base.convert('RGB').resize(size, Image.BILINEAR),
                    np.float32)
  heat = np.asarray(Image.fromarray(heat.astype(np.float32)).resize(
      size, Image.BILINEAR))
  low, high = heat_scale['low'], heat_scale['high']
  level = np.clip((heat - low) / max(high - low, 1e-12), 0, 1)
  colours = colormaps['jet'](level)[..., :3] * 255
  alpha = (0.15 + 0.6 * level)[..., None] * (level[..., None] > 0)
  blended = base * (1 - alpha) + colours * alpha
  overlay = Image.fromarray(np.clip(blended, 0, 255).astype(np.uint8))
  draw = ImageDraw.Draw(overlay)
  if box is not None:
    y0, x0, y1, x1 = (int(round(v * scale)) for v in box)
    draw.rectangle([x0, y0, x1 - 1, y1 - 1], outline=(255, 255, 255),
                   width=max(1, int(round(2 * scale + 0.5))))
  verdict = 'DEFECT' if decision else 'ok'
  text = f'{verdict}  score {score:.4g} vs threshold {threshold:.4g}'
  font = ImageFont.load_default(size=max(10, size[0] // 50))
  left, top, right, bottom = draw.textbbox((4, 2), text, font=font)
  draw.rectangle([0, 0, right + 4, bottom + 3], fill=(0, 0, 0))
  draw.text((4, 2), text, font=font,
            fill=(255, 80, 80) if decision else (120, 255, 120))
  return overlay


def predict_files(detector: Detector, paths: Sequence[str], output_dir: str,
                  root: Optional[str] = None, overlays: bool = True,
                  overlay_max_width: int = 1024,
                  chunk: int = 16) -> Dict[str, Any]:
  """Scores image files; writes predictions.csv and overlay PNGs.

  Args:
    detector: a trained (calibrated) Detector.
    paths: image files; unreadable or wrongly sized ones are skipped and
      reported.
    output_dir: where predictions.csv and overlays/ go.
    root: paths are written relative to it (default: as given).
    overlays: write overlays/<name>.png per image.
    overlay_max_width: overlays are downscaled to at most this width.
    chunk: images read and scored at a time (bounds memory).

  Returns:
    A summary: counts, flagged files, skipped files, output paths.
  """
  output_dir = io_utils.ensure_writable_dir(output_dir)
  height, width, channels = detector.image_shape
  heat_scale = detector.calibration.get('heat_scale') or {'low': 0.0,
                                                          'high': 1.0}
  boxes = detector.grid.boxes()
  rows, skipped = [], []
  used_names = set()
  progress = ProgressLogger(len(paths), 30.0, prefix='predicted ',
                            unit='image')
  for start in range(0, len(paths), chunk):
    images, used, bad = folder_data.load_images(
        paths[start:start + chunk], channels, (height, width),
        detector.settings.resize_to)
    skipped.extend(bad)
    if not len(images):
      continue
    out = detector.infer(images,
                         ('score', 'decision', 'error_map', 'tile_scores'))
    for index, path in enumerate(used):
      name = os.path.relpath(path, root) if root else path
      row = {'file': name, 'score': float(out['score'][index]),
             'decision': bool(out['decision'][index])}
      if overlays:
        stem = _unique_stem(name, used_names)
        picture = render_overlay(
            images[index], out['error_map'][index], heat_scale, row['score'],
            detector.threshold, row['decision'],
            boxes[int(np.argmax(out['tile_scores'][index]))],
            overlay_max_width)
        overlay_path = os.path.join(output_dir, OVERLAYS_DIR, stem + '.png')
        with io_utils.atomic_open(overlay_path, 'wb') as handle:
          picture.save(handle, format='PNG')
        row['overlay'] = os.path.relpath(overlay_path, output_dir)
      rows.append(row)
    progress.update(min(start + chunk, len(paths)),
                    force=start + chunk >= len(paths))
  csv_path = os.path.join(output_dir, PREDICTIONS_FILE)
  with io_utils.atomic_open(csv_path, 'w') as handle:
    writer = csv.writer(handle, lineterminator='\n')
    writer.writerow(['file', 'score', 'decision'])
    writer.writerows([row['file'], f'{row["score"]:.8g}',
                      'defect' if row['decision'] else 'ok'] for row in rows)
  flagged = [row['file'] for row in rows if row['decision']]
  return {'scored': len(rows), 'flagged': len(flagged),
          'flagged_files': flagged,
          'skipped': [dataclasses.asdict(s) for s in skipped],
          'threshold': detector.threshold, 'predictions': csv_path,
          'overlays': os.path.join(output_dir, OVERLAYS_DIR) if overlays
                      else None,
          'rows': rows}


def _unique_stem(name: str, used: set) -> str:
  """A flat, unique overlay file stem from a (relative) image path."""
  stem = os.path.splitext(name)[0].strip(os.sep).replace(os.sep, '__')
  stem = stem.replace(':', '_') or 'image'
  candidate, number = stem, 1
  while candidate in used:
    number += 1
    candidate = f'{stem}_{number}'
  used.add(candidate)
  return candidate
