"""The constrained loss-weight grid search of paper Sec. 3.4.

Each of the six weights takes a value in {0.5, 1.0, 1.5}, and the normal
group's weights must sum to more than twice the anomaly group's ("the
weighted sum of normal data is set more than twice as large"). That leaves
315 of the 3^6 = 729 combinations (414 if "more than" allowed equality).
The paper says 314; it does not say which combination it dropped, so we
enumerate all 315 and report the count we used.

Points are ranked by mean validation AUROC over the chosen normal classes;
the validation split is carved from training data, never from test data.
Every point is a resumable benchmark run in its own folder, so an
interrupted search continues where it stopped.
"""

import dataclasses
import itertools
import logging
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ganad_tf import io_utils
from ganad_tf.benchmark import sweep
from ganad_tf.benchmark.class_runner import TrainerCache
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.errors import ConfigError

logger = logging.getLogger('ganad_tf')

VALUES = (0.5, 1.0, 1.5)
NORMAL = config_lib.NORMAL_WEIGHTS
ANOMALY = config_lib.ANOMALY_WEIGHTS
# The paper's point: the LossWeights defaults.
TABLE2 = dataclasses.asdict(config_lib.LossWeights())


def enumerate_grid(values: Sequence[float] = VALUES,
                   strict: bool = True) -> List[Dict[str, float]]:
  """All weight combinations with normal sum > (or >=) 2 x anomaly sum."""
  points = []
  for combo in itertools.product(values, repeat=len(NORMAL) + len(ANOMALY)):
    weights = dict(zip(NORMAL + ANOMALY, combo))
    normal = sum(weights[n] for n in NORMAL)
    anomaly = sum(weights[n] for n in ANOMALY)
    # Halves are exact in binary floating point, so no tolerance is needed.
    if normal > 2 * anomaly or (not strict and normal == 2 * anomaly):
      points.append(weights)
  return points


def point_name(index: int) -> str:
  return f'point_{index:03d}'


def choose_points(grid: List[Dict[str, float]], max_points: Optional[int],
                  indices: Optional[Sequence[int]], seed: int) -> List[int]:
  """Which grid points to run, in order.

  Explicit `indices` win; otherwise a seeded random subset of `max_points`
  (all when None) that always starts with the Table 2 combination, so the
  paper's choice is ranked among the others.
  """
  if indices:
    bad = [i for i in indices if not 0 <= i < len(grid)]
    if bad:
      raise ConfigError(f'Grid indices {bad} are outside 0..{len(grid) - 1}.')
    return list(indices)
  table2 = grid.index(TABLE2)
  order = [i for i in np.random.default_rng(seed).permutation(len(grid))
           if i != table2]
  order = [table2] + [int(i) for i in order]
  return order if max_points is None else order[:max_points]


def run_grid_search(base: BenchmarkConfig, output_dir: str,
                    normal_classes: Optional[Sequence[int]] = None,
                    max_points: Optional[int] = None,
                    indices: Optional[Sequence[int]] = None,
                    subset_seed: int = 0, command: Optional[str] = None,
                    cache: Optional[TrainerCache] = None,
                    jobs: int = 1, baseline: bool = True) -> Dict[str, Any]:
  """Runs (or resumes) the chosen points and writes grid.json and table.md.

  With `baseline`, the supervised classifier (sweep.BASELINE) is trained on
  the same data as one more run and shown below the ranking. With
  jobs > 1, worker processes take the unfinished (point, class) runs of all
  chosen points from one queue (see sweep.run_sweep).
  """
  if base.data.validation_fraction <= 0:
    raise ConfigError('The grid search ranks points by validation AUROC; set '
                      '--validation_fraction > 0 (e.g. 0.1) so a validation '
                      'split is carved from the training data.')
  grid = enumerate_grid()
  chosen = choose_points(grid, max_points, indices, subset_seed)
  output_dir = io_utils.ensure_writable_dir(output_dir)
  logger.info('Grid: %d combinations (strict "more than twice"); running %d.',
              len(grid), len(chosen))
  folders = {index: os.path.join(output_dir, point_name(index))
             for index in chosen}
  configs = {folders[index]: config_lib.replace(base, weights=grid[index])
             for index in chosen}
  if baseline:
    baseline_folder = sweep.add_baseline(configs, base, output_dir)
  outcomes = sweep.run_sweep(configs, normal_classes, jobs, command,
                             cache=cache)
  rows = []
  for index in chosen:
    outcome = outcomes[folders[index]]
    details = outcome['per_class_detail'].values()
    rows.append({
        'index': index, 'weights': grid[index],
        'validation_auroc': float(np.mean([d['validation_auroc']
                                           for d in details])),
        'test_auroc': outcome['mean'],
        'is_table2': grid[index] == TABLE2,
    })
  ranked = sorted(rows, key=lambda r: -r['validation_auroc'])
  for rank, row in enumerate(ranked, 1):
    row['rank'] = rank
  results = {
      'grid_size': len(grid),
      'grid_size_if_equality_allowed': len(enumerate_grid(strict=False)),
      'paper_grid_size': 314,
      'points_run': len(rows),
      'normal_classes': normal_classes,
      'ranking': ranked,
      'baseline': (sweep.baseline_entry(outcomes[baseline_folder])
                   if baseline else None),
      'config': base.to_dict(),
      'command': command,
  }
  sweep.write_summary(output_dir, 'grid.json', results,
                      format_table(results))
  return results


def format_table(results: Dict[str, Any], top: int = 25) -> str:
  lines = ['# Loss-weight grid search (paper Sec. 3.4)', '',
           f'{results["grid_size"]} combinations satisfy "normal sum > 2 x '
           f'anomaly sum" (the paper says {results["paper_grid_size"]}; '
           f'{results["grid_size_if_equality_allowed"]} if equality were '
           f'allowed). Ran {results["points_run"]}; ranked by mean '
           'validation AUROC (validation carved from training data). Test '
           'AUROC is shown for information only and played no part in the '
           'ranking.', '',
           '| rank | point | recon | patch | latent | adv | abc | anomaly_adv '
           '| validation AUROC | test AUROC |',
           '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
  shown = results['ranking'][:top]
  shown += [r for r in results['ranking'][top:] if r['is_table2']]
  for row in shown:
    w = row['weights']
    star = ' (Table 2)' if row['is_table2'] else ''
    lines.append(
        f'| {row["rank"]} | {row["index"]}{star} | ' +
        ' | '.join(f'{w[n]:g}' for n in NORMAL + ANOMALY) +
        f' | {row["validation_auroc"]:.2f} | {row["test_auroc"]:.2f} |')
  if results.get('baseline'):
    entry = results['baseline']
    lines.append('| — | supervised classifier (baseline) |' + ' |' * 6 +
                 f' {entry["validation_auroc"]:.2f} | {entry["mean"]:.2f} |')
  config = results['config']
  train = config['train']
  lines += ['', f'Dataset {config["data"]["dataset"]}, normal classes '
            f'{results["normal_classes"]}, validation fraction '
            f'{config["data"]["validation_fraction"]}; {train["epochs"]} '
            f'epochs, batch {train["batch_size"]}, lr '
            f'{train["learning_rate"]:g}.']
  return '\n'.join(lines) + '\n'


def grid_counts() -> Tuple[int, int]:
  return len(enumerate_grid()), len(enumerate_grid(strict=False))
