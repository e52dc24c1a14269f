"""Adds every score kind on validation and test to finished classes' scores.npz.

Class results written before scores.npz kept them (study runs started before
commit aff99f5, 2026-11-30) hold only the test scores of the run's own score
kind. This rescores each class's saved generator.keras on the run's own
split and checks that every AUROC it recomputes equals the one recorded in
result.json before it rewrites scores.npz (atomically).

Usage: python results/backfill_validation_scores.py RUN_DIR [RUN_DIR ...]
(a study folder's setting folders, e.g. runs/study_fashion_mnist/*/).
"""

import glob
import os
import sys

import numpy as np

from ganad_tf import io_utils
from ganad_tf.benchmark import protocol, run_folder
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.benchmark.figure_report import load_generator
from ganad_tf.core.config import SCORES
from ganad_tf.core.scoring import KindScorers, aurocs


def backfill(run_dir: str):
  config = BenchmarkConfig.from_dict(io_utils.read_json(
      os.path.join(run_dir, run_folder.CONFIG_FILE))['config'])
  data = None
  for folder in sorted(glob.glob(os.path.join(run_dir, 'class_*'))):
    result_path = os.path.join(folder, run_folder.RESULT_FILE)
    scores_path = os.path.join(folder, run_folder.SCORES_FILE)
    if not os.path.exists(result_path):
      continue
    saved = dict(np.load(scores_path))
    if 'validation_scores_l1' in saved:
      continue
    result = io_utils.read_json(result_path)
    data = data or protocol.prepare_data(config)
    split = protocol.make_split(data, result['normal_class'], config)
    generator = load_generator(os.path.join(folder, run_folder.GENERATOR_FILE))
    scorers = KindScorers(generator, config)
    validation = scorers.score_split(split.validation_images)
    test = scorers.score_split(split.test_images)
    for name, labels, values in (('validation', split.validation_labels,
                                  validation),
                                 ('test', split.test_labels, test)):
      for kind, auroc in aurocs(labels, values).items():
        recorded = result[f'{name}_auroc_by_score'][kind]
        if abs(auroc - recorded) > 1e-6:
          raise SystemExit(f'{folder}: {name} {kind} AUROC {auroc} differs '
                           f'from the recorded {recorded}; not rewriting.')
    for kind in SCORES:
      saved[f'validation_scores_{kind}'] = validation[kind]
      saved[f'test_scores_{kind}'] = test[kind]
    np.testing.assert_array_equal(saved['labels'], split.test_labels)
    saved['validation_labels'] = split.validation_labels
    io_utils.save_npz(scores_path, **saved)
    print(f'{folder}: added validation and test scores of {SCORES}')


if __name__ == '__main__':
  for path in sys.argv[1:]:
    backfill(path)
