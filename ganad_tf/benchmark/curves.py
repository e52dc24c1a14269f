"""AUROC against training epochs, from a run's generator snapshots.

A benchmark run with `--snapshot_every_epochs=N` keeps G's weights every N
epochs in `class_NN/snapshots/`. This scores each snapshot on the test split
(for reporting only: nothing is chosen by these numbers) and writes
`class_NN/curve.json`, adding each point as soon as it is scored, so a
curve of an unfinished run can be committed and extended later.
"""

import logging
import os
from typing import Any, Dict, Optional

from ganad_tf import io_utils
from ganad_tf.benchmark import protocol
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import models
from ganad_tf.errors import OutputError

logger = logging.getLogger('ganad_tf')
CURVE_FILE = 'curve.json'


def snapshot_curve(output_dir: str, normal_class: int,
                   data: Optional[protocol.PreparedData] = None
                   ) -> Dict[str, Any]:
  """Scores every snapshot of one class not yet in its curve.json.

  Args:
    output_dir: a benchmark output folder (with config.json).
    normal_class: which class folder to read.
    data: the prepared dataset, if already loaded.

  Returns:
    The curve: {'points': [{'epoch', 'auroc', 'auroc_by_score'}], ...}.
  """
  from ganad_tf.core.scoring import KindScorers
  from ganad_tf.core.trainer import list_snapshots, load_snapshot
  config_path = os.path.join(output_dir, run_folder.CONFIG_FILE)
  if not os.path.exists(config_path):
    raise OutputError(f'{output_dir} has no config.json; pass the folder of '
                      'a benchmark run.')
  config = BenchmarkConfig.from_dict(io_utils.read_json(config_path)['config'])
  folder = run_folder.class_dir(output_dir, normal_class)
  snapshots = list_snapshots(folder)
  curve_path = os.path.join(folder, CURVE_FILE)
  curve = (io_utils.read_json(curve_path) if os.path.exists(curve_path) else
           {'normal_class': normal_class, 'points': [],
            'note': 'test-split AUROC of saved snapshots, for reporting '
                    'only; nothing was chosen by these numbers'})
  done = {point['epoch'] for point in curve['points']}
  todo = {epoch: path for epoch, path in snapshots.items()
          if epoch not in done}
  if not todo:
    return curve
  data = data or protocol.prepare_data(config)
  split = protocol.make_split(data, normal_class, config)
  shape = split.test_images.shape[1:]
  # Snapshots hold the scoring network's weights: G, or the classifier.
  model = (models.build_classifier(shape, config.model.base_channels)
           if config.model.kind == 'classifier' else
           models.build_generator(shape, config.model.base_channels,
                                  config.model.norm))
  scorers = KindScorers(model, config, kinds=('l1', 'patch'))
  for epoch, path in todo.items():
    model.set_weights(load_snapshot(path))
    by_score = scorers.auroc_by_kind(split.test_images, split.test_labels)
    curve['points'].append({'epoch': epoch,
                            'auroc': by_score[scorers.main],
                            'auroc_by_score': by_score})
    curve['points'].sort(key=lambda point: point['epoch'])
    io_utils.write_json(curve_path, curve)
    logger.info('class %d epoch %d: AUROC %.2f (%s)', normal_class, epoch,
                by_score[scorers.main],
                ', '.join(f'{kind} {value:.2f}'
                          for kind, value in by_score.items()))
  return curve


def format_curve(curve: Dict[str, Any]) -> str:
  """Markdown table of one curve."""
  kinds = list(curve['points'][0]['auroc_by_score']) if curve['points'] else []
  lines = ['| epoch | AUROC (main score) | ' +
           ' | '.join(f'AUROC ({kind})' for kind in kinds) + ' |',
           '|---:|---:|' + '---:|' * len(kinds)]
  for point in curve['points']:
    lines.append(f'| {point["epoch"]} | {point["auroc"]:.2f} | ' + ' | '.join(
        f'{point["auroc_by_score"][kind]:.2f}' for kind in kinds) + ' |')
  return '\n'.join(lines) + '\n'

