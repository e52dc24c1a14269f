"""What a benchmark run folder holds, and which of it a rerun may trust.

  config.json          the run's configuration and benchmark settings
  results.json         per-class AUROC, mean, SD, parameters, timings
  table.md             our AUROC per class beside the paper's claim
  class_NN/result.json that class's result (written last: marks it done)
  class_NN/scores.npz  raw test scores, labels and original classes; with a
                       validation split also every score kind on
                       validation (validation_scores_<kind>,
                       validation_labels) and test (test_scores_<kind>)
  class_NN/generator.keras  the trained generator (for figures and reuse);
                       classifier.keras for --model=classifier
  class_NN/checkpoints, class_NN/summaries

A rerun of the same command skips finished classes, resumes unfinished ones
from their newest checkpoint, and rebuilds the table.
"""

import logging
import os
from typing import Any, Dict, Optional

from ganad_tf import io_utils
from ganad_tf.core.config import saved_model_file
from ganad_tf.errors import OutputError

logger = logging.getLogger('ganad_tf')

CONFIG_FILE = 'config.json'
RESULTS_FILE = 'results.json'
TABLE_FILE = 'table.md'
RESULT_FILE = 'result.json'
SCORES_FILE = 'scores.npz'
GENERATOR_FILE = saved_model_file('gan')
CLASSIFIER_FILE = saved_model_file('classifier')


def class_dir(output_dir: str, normal_class: int) -> str:
  return os.path.join(output_dir, f'class_{normal_class:02d}')


def load_class_result(output_dir: str, normal_class: int,
                      expected_fingerprint: str) -> Optional[Dict[str, Any]]:
  """A finished class's result, or None if absent, stale or unreadable."""
  folder = class_dir(output_dir, normal_class)
  path = os.path.join(folder, RESULT_FILE)
  if not os.path.exists(path):
    return None
  try:
    result = io_utils.read_json(path)
  except (OSError, ValueError) as error:
    logger.warning('Ignoring unreadable %s (%s); class %d will be rerun.',
                   path, error, normal_class)
    return None
  if result.get('fingerprint') != expected_fingerprint:
    return None
  if not os.path.exists(os.path.join(folder, SCORES_FILE)):
    logger.warning('%s has no %s; class %d will be rescored.', folder,
                   SCORES_FILE, normal_class)
    return None
  return result


def check_existing_run(output_dir: str, run_fingerprint: str,
                       overwrite: bool):
  """Refuses a folder holding a run of another configuration.

  Raises:
    OutputError: config.json records another fingerprint and `overwrite`
      is False.
  """
  path = os.path.join(output_dir, CONFIG_FILE)
  if not os.path.exists(path) or overwrite:
    return
  try:
    previous = io_utils.read_json(path).get('fingerprint')
  except (OSError, ValueError):
    return  # An unreadable config.json is rewritten; class results decide.
  if previous != run_fingerprint:
    raise OutputError(
        f'{output_dir} holds a benchmark run made with a different '
        f'configuration (fingerprint {previous}, now {run_fingerprint}). Use '
        'another --output_dir, or pass --overwrite to rerun every class with '
        'the new configuration.')
