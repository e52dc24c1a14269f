"""Defect detection on large photos: train from a folder, score, export.

`Detector` wraps the paper's method for the inspection use case (Sec. 4.1):
large images are cut into tiles (the paper's "patches"), each tile is
resized to the model input, scored by its reconstruction error (or, with
`--model=classifier`, by the baseline classifier's logit), and

  image score = max over the image's tile scores,
  heat map    = the tiles' per-pixel error maps, resized back to tile size
                and stitched into a full-size map (ganad_tf.inspection.tiles,
                which also explains tile centring, `center_tiles`).

The Detector glues the inspection rooms together:

  settings        DetectorSettings: tiling and training-set choices
  tile_selection  which tiles it trains on (paper Sec. 3.5, 4.1)
  inference       the one TensorFlow graph it scores with (InferenceModule)
  calibration     the decision threshold, set on the validation split
  evaluation      image-, tile- and pixel-level test metrics
  persistence     save / load / export (a SavedModel needing only TF)
  workflow        train_folder and predict_files, the two experiments
"""

import dataclasses
import logging
import os
import time
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import keras
import numpy as np

from ganad_tf.data import sizes
from ganad_tf.core import config as config_lib
from ganad_tf.core import metrics
from ganad_tf.core import models
from ganad_tf.core.trainer import Trainer
from ganad_tf.core.trainer import shared_trainer
from ganad_tf.data import checks
from ganad_tf.data import folder_data
from ganad_tf.data import registry
from ganad_tf.data import splits
from ganad_tf.errors import ConfigError, DatasetError, InputError
from ganad_tf.inspection import calibration as calibration_lib
from ganad_tf.inspection import evaluation
from ganad_tf.inspection import inference
from ganad_tf.inspection import persistence
from ganad_tf.inspection import tile_selection
from ganad_tf.inspection import tiles
from ganad_tf.inspection.config import InspectionConfig
from ganad_tf.inspection.settings import DetectorSettings

logger = logging.getLogger('ganad_tf')


@dataclasses.dataclass
class Predictions:
  """Scores, decisions (score >= threshold) and optional heat maps."""
  scores: np.ndarray
  decisions: np.ndarray
  threshold: float
  error_maps: Optional[np.ndarray] = None


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
    # The scoring network: G, or the classifier (config.model.kind).
    self.model: Optional[keras.Model] = None
    self.image_shape: Optional[Tuple[int, int, int]] = None
    self.grid: Optional[tiles.TileGrid] = None
    self.calibration: Dict[str, Any] = {}
    self.training: Dict[str, Any] = {}
    self.validation: Optional[folder_data.FolderData] = None
    self._module: Optional[inference.InferenceModule] = None

  @property
  def input_size(self) -> int:
    return self.config.data.image_size

  @property
  def uses_anomalies(self) -> bool:
    return self.config.needs_anomalies

  @property
  def generator(self) -> Optional[keras.Model]:
    """G (with --encoder_head, G and its head; None for a classifier, or
    before training)."""
    return None if self.config.model.kind == 'classifier' else self.model

  @property
  def threshold(self) -> float:
    return float(self.calibration.get('threshold', float('inf')))

  # ------------------------------------------------------------ training --

  def fit(self, data: Union[str, folder_data.FolderData, np.ndarray],
          anomaly_images: Optional[np.ndarray] = None,
          anomaly_kinds: Optional[Sequence[str]] = None,
          anomaly_masks: Optional[np.ndarray] = None,
          run_dir: Optional[str] = None) -> Dict[str, Any]:
    """Trains on a folder or arrays, then calibrates on the validation split.

    Args:
      data: a data folder (see ganad_tf.data.folder_data), loaded
        FolderData, or uint8 normal images (N, H, W, C).
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
          'The classifier learns normal against defect images, but there '
          'are none. Add defect folders, or train on normal images only '
          'with --model=autoencoder.' if self.config.model.kind ==
          'classifier' else
          'The anomaly losses are on but there are no defect images. Add '
          'defect folders, or train on normal images only with --w_abc=0 '
          '--w_anomaly_adv=0.')
    held_out = splits.validation_mask(
        data.labels, self.config.data.validation_fraction,
        self.config.data.sampling_seed)
    train = data.subset(np.flatnonzero(~held_out))
    self.validation = data.subset(np.flatnonzero(held_out))
    self.image_shape = tuple(int(v) for v in data.images.shape[1:])
    self.grid = tiles.make_grid(data.image_size, self.settings.tile_size,
                                self.settings.tile_stride)
    logger.info('Training on %s, validating on %s; %d tile(s) of %s per '
                'image, resized to %dx%d.',
                _describe_counts(train), _describe_counts(self.validation),
                self.grid.num_tiles, sizes.format_size(self.grid.tile_size),
                self.input_size, self.input_size)
    chosen = tile_selection.select_training_tiles(
        train, self.grid, self.settings, self.input_size,
        self.config.data.kmeans_k, self.config.data.sampling_seed,
        self.uses_anomalies, self._error_scorer(train, run_dir))
    trainer = self._trainer(self.config)
    logger.info('Training: %s.', tile_selection.describe(chosen.info))
    result = trainer.fit(chosen.normal, chosen.anomaly,
                         run_dir=_sub(run_dir, 'final'), config=self.config,
                         log_prefix='final ')
    self._set_model(models.copy_model(trainer.scoring_model))
    self.training = {
        'data_root': data.root,
        'kinds': data.kinds,
        'train_counts': train.counts(),
        'validation_counts': self.validation.counts(),
        'skipped_files': [dataclasses.asdict(s) for s in data.skipped],
        'tiles': chosen.info,
        'steps': result.steps,
        # With the invocations this one resumed, when they were recorded.
        'train_seconds': round(result.train_seconds +
                               (result.earlier_train_seconds or 0.0), 1),
        'images_per_second': round(result.images_per_second, 1),
        'final_losses': result.final_losses,
        'parameters': trainer.parameter_counts(),
        'train_auroc': self._train_auroc(train),
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
          require_defects=self.uses_anomalies,
          resize_mode=self.settings.resize_mode)
    data = folder_data.from_arrays(data, anomaly_images, anomaly_kinds,
                                   anomaly_masks)
    if self.settings.resize_to is not None:
      raise ConfigError('resize_to applies when reading files; resize the '
                        'arrays yourself before fit().')
    return data

  def _error_scorer(self, train: folder_data.FolderData,
                    run_dir: Optional[str]) -> tile_selection.ErrorScorer:
    """The 'max_error' scorer: trains a normal-only model, scores tiles.

    Called by tile selection only when some defect image needs it; this
    extra training run resumes from run_dir/selection like the final one.
    """

    def score(normal_tiles: np.ndarray,
              image_ids: Sequence[int]) -> np.ndarray:
      epochs = self.settings.selection_epochs
      config = tile_selection.normal_only_config(self.config, epochs)
      logger.info('Choosing anomaly tiles of %d defect image(s) without '
                  'masks: training a normal-only model for %d epoch(s) on '
                  '%d normal tiles first.', len(image_ids), epochs,
                  len(normal_tiles))
      trainer = self._trainer(config)
      trainer.fit(normal_tiles, normal_tiles[:0],
                  run_dir=_sub(run_dir, 'selection'), config=config,
                  log_prefix='tile selection ')
      module = self._make_module(trainer.generator, config)
      return inference.run_batched(module, train.images[image_ids],
                                   self._images_per_call(),
                                   ('tile_scores',))['tile_scores']

    return score

  def _train_auroc(self, train: folder_data.FolderData) -> Optional[float]:
    """Image AUROC (%) on a fixed sample of the training images
    (splits.diagnostic_sample, as the benchmark's): beside the validation
    AUROC it shows over-fitting (high here, low there) or a model that
    cannot separate even what it was trained on (low in both). None
    without defect images."""
    labels = train.is_anomaly.astype(np.int64)
    if len(set(labels.tolist())) < 2:
      return None
    members = [np.flatnonzero(labels == value) for value in (0, 1)]
    picked = np.sort(np.concatenate([
        group[positions] for group, positions in zip(
            members, splits.diagnostic_sample(
                [len(group) for group in members],
                self.config.data.sampling_seed))]))
    return metrics.auroc(labels[picked], self.score(train.images[picked]))

  def _trainer(self, config: InspectionConfig) -> Trainer:
    """A Trainer for config at the model input size, traced at most once."""
    shape = (self.input_size, self.input_size, self.image_shape[2])
    return shared_trainer(self._trainers, config, shape, registry.FOLDER)

  # ----------------------------------------------------------- inference --

  def _make_module(self, model: keras.Model,
                   config: Optional[InspectionConfig] = None
                   ) -> inference.InferenceModule:
    """The inference graph of `model`, trained with `config` (by default
    the detector's own)."""
    config = config or self.config
    return inference.InferenceModule(
        model, self.image_shape, self.grid, self.input_size,
        config.eval.score, config.train.patch_size, config.train.patch_stride,
        self.settings.stitch, self.threshold, self.settings.center_tiles,
        config.model.kind)

  def _set_model(self, model: keras.Model):
    self.model = model
    self._module = self._make_module(model)

  def _require_model(self):
    if self._module is None:
      raise ConfigError('This Detector has no trained model; call fit() or '
                        'Detector.load(model_dir) first.')

  def _images_per_call(self) -> int:
    return inference.images_per_call(self.config.eval.batch_size,
                                     self.grid.num_tiles)

  def check_images(self, images) -> np.ndarray:
    """Validates raw images for this model; returns them as (N, H, W, C).

    See checks.check_photo_batch: uint8 (or numbers 0..255) shaped
    (N, H, W, C), or (N, H, W) for a one-channel model; not copied.

    Raises:
      InputError: wrong rank, size or channel count, NaN/Inf, or values
        outside 0..255; the message says how to fix it.
    """
    self._require_model()
    return checks.check_photo_batch(images, self.image_shape,
                                 self.settings.resize_to)

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
    return inference.run_batched(self._module, pixels,
                                 self._images_per_call(), tuple(outputs))

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

  # ----------------------------------------------- calibration, metrics --

  def calibrate(self, images=None, labels=None,
                target_fpr: Optional[float] = None) -> Dict[str, Any]:
    """Sets the decision threshold from labelled images (see calibration).

    Args:
      images: raw images; default the validation split held out by fit().
      labels: 1 = defect, 0 = normal, per image.
      target_fpr: overrides settings.target_fpr; None there too means the
        best-F1 threshold.

    Returns:
      The stored calibration: threshold, method, validation AUROC (%) and
      precision / recall / F1 / FPR at the threshold, counts, heat scale,
      and auroc_by_score (the AUROC by every score kind of G, or None).

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
    scores, heat = calibration_lib.collect(
        inference.batches(self._module, pixels, self._images_per_call(),
                          ('score', 'error_map')), labels)
    if target_fpr is None:
      target_fpr = self.settings.target_fpr
    self.calibration = calibration_lib.calibrate(labels, scores, target_fpr,
                                                 heat)
    self.calibration['auroc_by_score'] = self._auroc_by_score(
        pixels, labels, scores)
    self._module.threshold.assign(self.threshold)
    return self.calibration

  def score_kinds(self) -> Tuple[str, ...]:
    """The --score kinds this model can be scored by (its own first)."""
    kinds = config_lib.score_kinds(self.config.model)
    if len(kinds) == 1:  # a classifier
      return kinds
    own = self.config.eval.score
    return (own,) + tuple(kind for kind in kinds if kind != own)

  def _auroc_by_score(self, pixels: np.ndarray, labels: np.ndarray,
                      scores: np.ndarray) -> Optional[Dict[str, float]]:
    """AUROC (%) of these images by every score kind of G (None without
    defect images or for a classifier), so a user sees on validation which
    --score separates their defects best, without retraining."""
    kinds = self.score_kinds()
    if len(kinds) == 1 or not np.any(labels == 1):
      return None
    by_kind = {kinds[0]: metrics.auroc(labels, scores)}
    for kind in kinds[1:]:
      module = self._make_module(
          self.model, config_lib.replace(self.config, eval={'score': kind}))
      kind_scores = inference.run_batched(
          module, pixels, self._images_per_call(), ('score',))['score']
      by_kind[kind] = metrics.auroc(labels, kind_scores)
    return by_kind

  def evaluate(self, data: Union[str, folder_data.FolderData],
               pixel_level: bool = True,
               on_chunk: Optional[Callable[[int, Dict[str, np.ndarray]],
                                           None]] = None) -> Dict[str, Any]:
    """Image-level (and pixel-level, where masks exist) test metrics.

    Args:
      data: a data folder laid out like the training folder, or FolderData.
      pixel_level: also compare heat maps with the defect masks.
      on_chunk: called with (first image index, outputs: score,
        tile_scores, error_map) of each inference call, so a caller can use
        the scores (e.g. write predictions) without scoring again.

    Returns:
      See evaluation.evaluate: AUROC (%), precision / recall / F1 at the
      stored threshold, counts, per-kind results, tile and pixel metrics.
    """
    self._require_model()
    if not isinstance(data, folder_data.FolderData):
      data = folder_data.load_folder(
          data, self.image_shape[2], self.settings.resize_to,
          require_defects=False, resize_mode=self.settings.resize_mode)
    keys = ('score', 'tile_scores') + (
        ('error_map',) if pixel_level or on_chunk else ())
    pixels = self.check_images(data.images)
    chunks = inference.batches(self._module, pixels, self._images_per_call(),
                               keys)
    if on_chunk is not None:
      chunks = _tee(chunks, on_chunk)
    return evaluation.evaluate(
        data, chunks, self.threshold, self.grid, self.settings.min_mask_share,
        self.config.data.sampling_seed, pixel_level)

  # -------------------------------------------------- saving and export --

  def save(self, model_dir: str):
    """Writes generator.keras (classifier.keras) and detector.json (written
    last) to model_dir."""
    self._require_model()
    persistence.save(model_dir, self.model, persistence.detector_state(
        self.image_shape, self.input_size, self.grid, self.threshold,
        self.calibration, self.settings, self.config, self.training))

  @classmethod
  def load(cls, model_dir: str) -> 'Detector':
    """Loads a Detector written by save().

    Raises:
      ConfigError: model_dir is not a saved detector.
    """
    saved = persistence.load(model_dir)
    detector = cls(saved.config, saved.settings)
    detector.image_shape = saved.image_shape
    detector.grid = tiles.make_grid(saved.image_shape[:2],
                                    saved.settings.tile_size,
                                    saved.settings.tile_stride)
    detector.calibration = saved.calibration
    detector.training = saved.training
    detector._set_model(saved.model)  # pylint: disable=protected-access
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
    info = persistence.serving_info(
        self.image_shape, self.grid.num_tiles, self.threshold,
        self.calibration, self.settings.resize_to, self.settings.resize_mode)
    return persistence.export(self._module, export_dir, info)


def _tee(chunks, on_chunk):
  for start, out in chunks:
    on_chunk(start, out)
    yield start, out


def _sub(run_dir: Optional[str], name: str) -> Optional[str]:
  return os.path.join(run_dir, name) if run_dir else None


def _describe_counts(data: folder_data.FolderData) -> str:
  return ', '.join(f'{kind}={n}' for kind, n in data.counts().items())
