"""Folder workflows: train a detector on a data folder, score image files.

`train_folder` is experiments.train_folder and `predict_files` is
experiments.predict without the flags: what they read, write and return.
"""

import csv
import dataclasses
import logging
import os
import shutil
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ganad_tf import io_utils
from ganad_tf.core import config as config_lib
from ganad_tf.core import runtime
from ganad_tf.core.trainer import Trainer
from ganad_tf.data import folder_data
from ganad_tf.errors import OutputError
from ganad_tf.inspection import overlays as overlay_lib
from ganad_tf.inspection.config import InspectionConfig
from ganad_tf.inspection.detector import Detector
from ganad_tf.inspection.settings import DetectorSettings
from ganad_tf.progress import ProgressLogger

logger = logging.getLogger('ganad_tf')

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
                 trainer_cache: Optional[Dict[Any, Trainer]] = None,
                 baseline: bool = True) -> Dict[str, Any]:
  """Trains, calibrates, saves and exports a detector for a data folder.

  With `baseline` (and defect images), the supervised classifier is also
  trained on the same data as a reference (`compare_with_classifier`); the
  results say which separates the validation images better.

  Writes to output_dir: generator.keras (or classifier.keras) and
  detector.json (Detector.save), saved_model/ (Detector.export),
  results.json (validation metrics at the threshold, counts, timings,
  command) and runs/ (checkpoints: rerunning the same command resumes
  training). trainer_cache: see Detector.

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
  key = run_key(config, settings, data_dir)
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
  reference = (compare_with_classifier(detector, data_dir, run_dir, command,
                                       trainer_cache)
               if baseline and config.model.kind != 'classifier' else None)
  detector.save(output_dir)
  export_dir = (detector.export(os.path.join(output_dir, EXPORT_DIR))
                if export else None)
  calibration = detector.calibration
  results = {
      'validation': {name: calibration.get(name) for name in (
          'auroc', 'precision', 'recall', 'f1', 'false_positive_rate',
          'accuracy', 'num_normal', 'num_defect', 'true_positives',
          'false_positives', 'false_negatives', 'true_negatives',
          'auroc_by_score')},
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
      'numerics': runtime.numerics(),
      'baseline': reference,
      'total_seconds': round(time.monotonic() - started, 1),
  }
  io_utils.write_json(os.path.join(output_dir, RESULTS_FILE), results)
  return results


# Settings added after runs were made: left out of a run's key while at
# their default, so those runs still resume.
SETTINGS_ADDED_LATER = {'resize_mode': 'stretch'}
_NO_DEFAULT = object()


def run_key(config: InspectionConfig, settings: DetectorSettings,
            data_dir: str) -> Dict[str, Any]:
  """What a run folder's checkpoints were trained from; train_folder
  resumes only a run with an equal key."""
  return {'config': config_lib.fingerprint(config),
          'settings': {name: value for name, value in
                       settings.to_dict().items()
                       if SETTINGS_ADDED_LATER.get(name, _NO_DEFAULT) !=
                       value},
          'data_dir': os.path.abspath(data_dir),
          'data_files': folder_data.listing_fingerprint(data_dir)}


# The classifier is called better than the trained model when its
# validation AUROC is higher by more than this (points).
BASELINE_MARGIN = 1.0


def compare_with_classifier(detector: Detector, data_dir: str, run_dir: str,
                            command: Optional[str],
                            trainer_cache: Optional[Dict[Any, Trainer]]
                            ) -> Optional[Dict[str, Any]]:
  """Trains the supervised classifier on the same images, tiles, schedule
  and validation split as `detector`, and compares validation AUROCs.

  The classifier is not saved: the user who wants it retrains with
  --model=classifier (the advice says how). Returns None when there are no
  defect images to train or validate a classifier on.
  """
  ours = detector.calibration.get('auroc')
  if ours is None or len(detector.training.get('kinds', [])) < 2:
    return None
  config = config_lib.replace(detector.config, model={'kind': 'classifier'})
  logger.info('Training the supervised classifier on the same data as a '
              'reference (--nobaseline skips this).')
  reference = Detector(config, detector.settings, trainer_cache)
  summary = reference.fit(data_dir, run_dir=os.path.join(run_dir,
                                                         'baseline'))
  theirs = reference.calibration['auroc']
  better = theirs > ours + BASELINE_MARGIN
  retrain = (_with_model_flag(command) if command else
             'experiments.train_folder with --model=classifier')
  advice = (f'The supervised classifier separates the validation images '
            f'better: AUROC {theirs:.2f} against {ours:.2f} for '
            f'--model={detector.config.model.kind}. To use it, run: {retrain}'
            if better else
            f'Validation AUROC {ours:.2f} (--model='
            f'{detector.config.model.kind}) against {theirs:.2f} for the '
            'supervised classifier.')
  (logger.warning if better else logger.info)('%s', advice)
  return {'model': 'classifier', 'validation_auroc': theirs,
          'validation_f1': reference.calibration.get('f1'),
          'train_seconds': summary['train_seconds'],
          'classifier_is_better': better, 'advice': advice}


def _with_model_flag(command: str) -> str:
  """`command` with --model=classifier in place of any --model=, writing to
  a folder of its own (OUTPUT_DIR_classifier) so that this model stays."""
  parts = []
  for part in command.split():
    if part.startswith('--model='):
      continue
    if part.startswith('--output_dir='):
      part = part.rstrip('/') + '_classifier'
    parts.append(part)
  return ' '.join(parts + ['--model=classifier'])


class PredictionWriter:
  """Writes predictions.csv rows and overlay PNGs as scored chunks arrive.

  Args:
    detector: the detector that scored the images.
    output_dir: where predictions.csv and overlays/ go.
    overlays: write overlays/<name>.png per image.
    overlay_max_width: overlays are downscaled to at most this width.
  """

  def __init__(self, detector: Detector, output_dir: str,
               overlays: bool = True, overlay_max_width: int = 1024):
    self.detector = detector
    self.output_dir = io_utils.ensure_writable_dir(output_dir)
    self.overlays = overlays
    self.overlay_max_width = overlay_max_width
    self.heat_scale = detector.calibration.get('heat_scale') or {
        'low': 0.0, 'high': 1.0}
    self.boxes = detector.grid.boxes()
    self.rows: List[Dict[str, Any]] = []
    self._used_names = set()

  def add(self, images: np.ndarray, names: Sequence[str],
          out: Dict[str, np.ndarray]):
    """One chunk: raw images, their names, and the detector's outputs
    'score', 'error_map' and 'tile_scores' for them."""
    threshold = self.detector.threshold
    for index, name in enumerate(names):
      score = float(out['score'][index])
      row = {'file': name, 'score': score, 'decision': score >= threshold}
      if self.overlays:
        stem = overlay_lib.unique_stem(name, self._used_names)
        picture = overlay_lib.render_overlay(
            images[index], out['error_map'][index], self.heat_scale, score,
            threshold, row['decision'],
            self.boxes[int(np.argmax(out['tile_scores'][index]))],
            self.overlay_max_width)
        path = os.path.join(self.output_dir, OVERLAYS_DIR, stem + '.png')
        with io_utils.atomic_open(path, 'wb') as handle:
          picture.save(handle, format='PNG')
        row['overlay'] = os.path.relpath(path, self.output_dir)
      self.rows.append(row)

  def finish(self, skipped: Sequence[Any] = ()) -> Dict[str, Any]:
    """Writes predictions.csv; returns the summary (see predict_files)."""
    csv_path = os.path.join(self.output_dir, PREDICTIONS_FILE)
    write_predictions_csv(csv_path, self.rows)
    flagged = [row['file'] for row in self.rows if row['decision']]
    return {'scored': len(self.rows), 'flagged': len(flagged),
            'flagged_files': flagged,
            'skipped': [dataclasses.asdict(s) for s in skipped],
            'threshold': self.detector.threshold, 'predictions': csv_path,
            'overlays': (os.path.join(self.output_dir, OVERLAYS_DIR)
                         if self.overlays else None),
            'rows': self.rows}


# What the writer needs of each scored chunk.
WRITER_OUTPUTS = ('score', 'error_map', 'tile_scores')


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
  writer = PredictionWriter(detector, output_dir, overlays, overlay_max_width)
  height, width, channels = detector.image_shape
  skipped = []
  progress = ProgressLogger(len(paths), 30.0, prefix='predicted ',
                            unit='image')
  for start in range(0, len(paths), chunk):
    images, used, bad = folder_data.load_images(
        paths[start:start + chunk], channels, (height, width),
        detector.settings.resize_to, detector.settings.resize_mode)
    skipped.extend(bad)
    if len(images):
      writer.add(images, [os.path.relpath(path, root) if root else path
                          for path in used],
                 detector.infer(images, WRITER_OUTPUTS))
    progress.update(min(start + chunk, len(paths)),
                    force=start + chunk >= len(paths))
  return writer.finish(skipped)


def predict_and_evaluate(detector: Detector, data_dir: str, output_dir: str,
                         overlays: bool = True, overlay_max_width: int = 1024
                         ) -> Tuple[Dict[str, Any], Dict[str, Any]]:
  """predict_files and Detector.evaluate on a labelled folder, scoring each
  image once.

  Returns:
    (the predict_files summary, the evaluation).
  """
  data = folder_data.load_folder(data_dir, detector.image_shape[2],
                                 detector.settings.resize_to,
                                 require_defects=False,
                                 resize_mode=detector.settings.resize_mode)
  writer = PredictionWriter(detector, output_dir, overlays, overlay_max_width)

  def write(start: int, out: Dict[str, np.ndarray]):
    count = len(out['score'])
    writer.add(data.images[start:start + count],
               data.files[start:start + count], out)

  evaluation = detector.evaluate(data, on_chunk=write)
  return writer.finish(data.skipped), evaluation


def write_predictions_csv(path: str, rows: List[Dict[str, Any]]):
  """Writes file, score, decision ('defect' or 'ok') per row, atomically."""
  with io_utils.atomic_open(path, 'w') as handle:
    writer = csv.writer(handle, lineterminator='\n')
    writer.writerow(['file', 'score', 'decision'])
    writer.writerows([row['file'], f'{row["score"]:.8g}',
                      'defect' if row['decision'] else 'ok'] for row in rows)
