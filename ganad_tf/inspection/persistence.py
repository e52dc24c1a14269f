"""A detector on disk: the model folder and the exported SavedModel.

Model folder (Detector.save / Detector.load): generator.keras (for
--model=classifier, classifier.keras) and detector.json (format version,
image shape, grid, threshold, calibration, settings, config, training
summary), written last so that a folder with a detector.json is complete. detector.json files of format version 1 written
before the configs were split still load (InspectionConfig.from_dict).

SavedModel (Detector.export): the inference graph alone, which serves with
TensorFlow only, plus serving_info.json describing its signature.
"""

import dataclasses
import datetime
import logging
import os
import shutil
import tempfile
from typing import Any, Dict, Optional, Tuple

import keras
import tensorflow as tf

from ganad_tf import io_utils
from ganad_tf.core.config import CLASSIFIER_SCORE, saved_model_file
from ganad_tf.errors import ConfigError
from ganad_tf.inspection import tiles
from ganad_tf.inspection.config import InspectionConfig
from ganad_tf.inspection.settings import DetectorSettings

logger = logging.getLogger('ganad_tf')

DETECTOR_FILE = 'detector.json'
SERVING_INFO_FILE = 'serving_info.json'
FORMAT_VERSION = 1


@dataclasses.dataclass
class SavedDetector:
  """What a model folder holds, read back."""
  config: InspectionConfig
  settings: DetectorSettings
  image_shape: Tuple[int, int, int]
  calibration: Dict[str, Any]
  training: Dict[str, Any]
  model: keras.Model  # G, or the classifier


def detector_state(image_shape: Tuple[int, int, int], input_size: int,
                   grid: tiles.TileGrid, threshold: float,
                   calibration: Dict[str, Any], settings: DetectorSettings,
                   config: InspectionConfig,
                   training: Dict[str, Any]) -> Dict[str, Any]:
  """The contents of detector.json."""
  return {
      'format_version': FORMAT_VERSION,
      'saved_at': datetime.datetime.now().isoformat(timespec='seconds'),
      'image_shape': list(image_shape),
      'input_size': input_size,
      'channels': image_shape[2],
      'grid': {'image_size': list(grid.image_size),
               'tile_size': list(grid.tile_size),
               'rows': list(grid.rows), 'cols': list(grid.cols)},
      'model': config.model.kind,
      'score_kind': (CLASSIFIER_SCORE if config.model.kind == 'classifier'
                     else config.eval.score),
      'threshold': threshold,
      'calibration': calibration,
      'settings': settings.to_dict(),
      'config': config.to_dict(),
      'training': training,
  }


def save(model_dir: str, model: keras.Model, state: Dict[str, Any]):
  """Writes the model (generator.keras or classifier.keras), then
  detector.json, to model_dir."""
  model_dir = io_utils.ensure_writable_dir(model_dir)
  io_utils.save_keras_model(
      os.path.join(model_dir, saved_model_file(state['config']['model'].get(
          'kind', 'gan'))), model)
  io_utils.write_json(os.path.join(model_dir, DETECTOR_FILE), state)


def load(model_dir: str) -> SavedDetector:
  """Reads a model folder written by `save`.

  Raises:
    ConfigError: model_dir is not a saved detector, its detector.json is
      corrupt or of another format version.
  """
  state_path = os.path.join(model_dir, DETECTOR_FILE)
  if not os.path.isfile(state_path):
    raise ConfigError(
        f'{model_dir!r} is not a saved detector: it has no {DETECTOR_FILE}. '
        'Pass the --output_dir of an experiments.train_folder run (--model).')
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
  config = InspectionConfig.from_dict(state['config'])
  model_path = os.path.join(model_dir, saved_model_file(config.model.kind))
  if not os.path.isfile(model_path):
    raise ConfigError(
        f'{model_dir!r} is not a complete detector: {DETECTOR_FILE} names a '
        f'{config.model.kind} model but {os.path.basename(model_path)} is '
        'missing. Train again, or restore the folder from a backup.')
  return SavedDetector(
      config=config,
      settings=DetectorSettings.from_dict(settings),
      image_shape=tuple(state['image_shape']),
      calibration=state['calibration'],
      training=state['training'],
      model=keras.saving.load_model(model_path, compile=False))


def serving_info(image_shape: Tuple[int, int, int], num_tiles: int,
                 threshold: float, calibration: Dict[str, Any],
                 resize_to: Optional[Tuple[int, int]],
                 resize_mode: str = 'stretch') -> Dict[str, Any]:
  """The contents of serving_info.json: how to call the SavedModel."""
  height, width, channels = image_shape
  return {
      'signature': 'serving_default',
      'input': {'name': 'images', 'dtype': 'uint8',
                'shape': [None, height, width, channels],
                'note': 'raw pixels 0..255' + (
                    (f'; resize photos to {width}x{height} first' +
                     ('' if resize_mode == 'stretch' else
                      ' keeping their aspect ratio (one scale factor, '
                      'centred, the rest filled with repeated edge pixels)'))
                    if resize_to else '')},
      'outputs': {
          'score': 'float32 [batch]: max tile score; higher = more '
                   'anomalous',
          'decision': 'bool [batch]: score >= threshold',
          'error_map': f'float32 [batch, {height}, {width}]: heat map',
          'tile_scores': f'float32 [batch, {num_tiles}]'},
      'threshold': threshold,
      'calibration': calibration,
      'example': ("m = tf.saved_model.load(DIR); out = m.signatures["
                  "'serving_default'](images=tf.constant(batch_uint8))"),
  }


def export(module: tf.Module, export_dir: str, info: Dict[str, Any]) -> str:
  """Saves module (an inference.InferenceModule) as a SavedModel.

  Signature 'serving_default' is module.serve; serving_info.json is `info`.
  The folder is replaced atomically: a failed export leaves the previous
  one in place.

  Returns:
    The export folder, absolute.
  """
  export_dir = os.path.abspath(export_dir)
  parent = io_utils.ensure_writable_dir(os.path.dirname(export_dir))
  staging = tempfile.mkdtemp(dir=parent, prefix='.export-')
  try:
    tf.saved_model.save(module, staging,
                        signatures={'serving_default': module.serve})
    io_utils.write_json(os.path.join(staging, SERVING_INFO_FILE), info)
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
