"""Figures of a finished benchmark run, from its saved files alone.

Reads config.json, results.json, each class's scores.npz and
generator.keras; nothing is retrained.
"""

import logging
import os
from typing import List, Optional, Sequence

import numpy as np

from ganad_tf import io_utils
from ganad_tf.benchmark import figures
from ganad_tf.benchmark import paper
from ganad_tf.benchmark import protocol
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.errors import OutputError

logger = logging.getLogger('ganad_tf')


def load_generator(path: str):
  """Loads a saved generator (with our custom normalisation layer)."""
  import keras
  from ganad_tf.core import models
  return keras.models.load_model(
      path, compile=False,
      custom_objects={'InstanceNormalization': models.InstanceNormalization})


def pick_examples(labels: np.ndarray, classes: np.ndarray, count: int,
                  anomaly: bool) -> np.ndarray:
  """Deterministic example indices: normals evenly spread; anomalies
  cycling through the anomaly classes so that each kind is shown."""
  if not anomaly:
    members = np.flatnonzero(labels == 0)
    return members[np.linspace(0, len(members) - 1, count).astype(int)]
  members = np.flatnonzero(labels == 1)
  kinds = np.unique(classes[members])
  picked = []
  for offset in range(count):
    kind = kinds[offset % len(kinds)]
    of_kind = members[classes[members] == kind]
    picked.append(of_kind[(offset // len(kinds)) % len(of_kind)])
  return np.array(picked)


def write_run_figures(run_dir: str, examples: int = 8,
                      classes: Optional[Sequence[int]] = None,
                      speed_json: Optional[str] = None) -> List[str]:
  """Writes all figures of `run_dir` into run_dir/figures; returns paths."""
  from ganad_tf.core.scoring import Scorer, error_map  # TF only if needed.
  for name in (run_folder.CONFIG_FILE, run_folder.RESULTS_FILE):
    if not os.path.exists(os.path.join(run_dir, name)):
      raise OutputError(f'{run_dir} has no {name}: pass a finished benchmark '
                        'run folder with --run_dir.')
  config = BenchmarkConfig.from_dict(
      io_utils.read_json(os.path.join(run_dir,
                                      run_folder.CONFIG_FILE))['config'])
  results = io_utils.read_json(os.path.join(run_dir, run_folder.RESULTS_FILE))
  finished = [int(c) for c in results['per_class']]
  classes = finished if classes is None else list(classes)
  out_dir = os.path.join(run_dir, 'figures')
  written = []
  names = results['class_names']

  curves = {}
  for normal_class in finished:
    saved = np.load(os.path.join(run_folder.class_dir(run_dir, normal_class),
                                 run_folder.SCORES_FILE))
    curves[f'{normal_class} {names[str(normal_class)]}'] = (saved['labels'],
                                                             saved['scores'])
  path = os.path.join(out_dir, 'roc_curves.png')
  figures.roc_curves(path, curves, title=f'{results["dataset"]}: ROC per '
                     'normal class')
  written.append(path)

  data = protocol.prepare_data(config)
  for normal_class in classes:
    folder = run_folder.class_dir(run_dir, normal_class)
    model_path = os.path.join(folder, run_folder.GENERATOR_FILE)
    if not os.path.exists(model_path):
      logger.warning('No %s for class %d; skipping its reconstructions.',
                     model_path, normal_class)
      continue
    scorer = Scorer(load_generator(model_path), batch_size=examples,
                    kind=config.eval.score,
                    patch_size=config.train.patch_size,
                    patch_stride=config.train.patch_stride)
    labels = (data.test_labels != normal_class).astype(int)
    groups = {}
    for group, anomaly in (('normal', False), ('anomaly', True)):
      index = pick_examples(labels, data.test_labels, examples, anomaly)
      images = data.test_images[index]
      _, reconstructions = scorer.scores_and_reconstructions(images)
      groups[group] = (images, reconstructions,
                       np.asarray(error_map(images, reconstructions)))
    path = os.path.join(out_dir, f'reconstructions_class_{normal_class:02d}.png')
    figures.reconstruction_grid(
        path, groups, title=f'{results["dataset"]}, normal class '
        f'{normal_class} ({names[str(normal_class)]}): AUROC '
        f'{results["per_class"][str(normal_class)]:.2f}% — per-image mean '
        'error under each map')
    written.append(path)

  speed = None
  if speed_json:
    measured = io_utils.read_json(speed_json)
    channels = data.test_images.shape[-1]
    # experiments.speed keys inference by shape and threads; take the
    # fastest thread count for this shape.
    rates = [entry['images_per_second'] for key, entry in
             measured.get('inference', {}).items()
             if key.split('/')[0] == f'32x32x{channels}']
    speed = max(rates) if rates else None
  if speed is None:
    speeds = [d['inference_images_per_second']
              for d in results['per_class_detail'].values()]
    speed = float(np.median(speeds))
  points = [(f'ours, {results["dataset"]}, this machine', results['mean'],
             speed, results['generator_params'])]
  points += list(paper.SPEED_POINTS)
  path = os.path.join(out_dir, 'speed_bubbles.png')
  figures.speed_bubbles(path, points, title='AUROC vs inference speed '
                        '(paper points: CIFAR-10 on a GTX 1080 Ti)')
  written.append(path)
  return written
