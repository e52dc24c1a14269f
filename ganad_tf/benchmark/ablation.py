"""The loss ablation of paper Table 6.

Table 6 has seven rows over six loss columns (Auto Encoder, ABC, Normal
Generator adversarial, Anomaly adversarial, Normal patch, Normal latent).
The check marks are lost in the available copy; only AUROCs survive:
64.68, 85.44, 65.74, 65.93, 64.87, 64.89, 86.76. Two readings:

* 'single' (default): row 1 is the plain autoencoder, row 2 adds ABC,
  rows 3-6 each add one other loss to the autoencoder, row 7 uses all.
  It is the only reading with seven distinct rows, and it matches the
  numbers: every row without ABC stays near the plain AE's 64.7, the two
  rows with ABC reach 85-87, and the text compares "No.2 (only ABC added)"
  with "No.7 (all losses added)".
* 'cumulative': losses are added one by one in column order (AE; +ABC;
  +normal adv; +anomaly adv; +patch; +latent). Its sixth row already uses
  every loss, so it has six distinct rows; row 7 repeats row 6.

Every row is trained with the same schedule; losses not in a row have
weight 0 and the others keep their Table 2 weights. Below the paper's rows
the table has the baseline a user would try first (`sweep.BASELINE`, the
supervised classifier), trained with the same schedule on the
same data.
"""

import logging
import os
from typing import Any, Dict, Optional, Sequence, Tuple

from ganad_tf import io_utils
from ganad_tf.benchmark import paper
from ganad_tf.benchmark import sweep
from ganad_tf.benchmark.class_runner import TrainerCache
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.errors import ConfigError

logger = logging.getLogger('ganad_tf')

# Table 6 column -> loss weight name, in the paper's column order. The
# autoencoder column is recon.
COLUMNS = (('Auto Encoder', 'recon'), ('ABC', 'abc'),
           ('Normal Generator', 'adv'), ('Anomaly', 'anomaly_adv'),
           ('Normal patch', 'patch'), ('Normal latent', 'latent'))
# Every loss of config_lib.WEIGHT_NAMES, in column order (the order in which
# the cumulative reading adds them); tests/test_ablation.py checks that the
# columns name each loss once.
_ALL = tuple(loss for _, loss in COLUMNS)

READINGS = {
    'single': {
        1: ('recon',),
        2: ('recon', 'abc'),
        3: ('recon', 'adv'),
        4: ('recon', 'anomaly_adv'),
        5: ('recon', 'patch'),
        6: ('recon', 'latent'),
        7: _ALL,
    },
    'cumulative': {
        row: _ALL[:min(row, len(_ALL))] for row in range(1, 8)
    },
}


def row_losses(reading: str) -> Dict[int, Tuple[str, ...]]:
  """Row number -> the losses switched on in that row of Table 6."""
  if reading not in READINGS:
    raise ConfigError(f'Unknown ablation reading {reading!r}; choose one of '
                      f'{sorted(READINGS)}.')
  return READINGS[reading]


def row_config(base: BenchmarkConfig,
               losses: Sequence[str]) -> BenchmarkConfig:
  """`base` with every loss not in `losses` switched off (weight 0)."""
  weights = {name: (getattr(base.weights, name) if name in losses else 0.0)
             for name in config_lib.WEIGHT_NAMES}
  return config_lib.replace(base, weights=weights)


def run_ablation(base: BenchmarkConfig, output_dir: str,
                 normal_classes: Optional[Sequence[int]] = None,
                 reading: str = 'single', rows: Optional[Sequence[int]] = None,
                 command: Optional[str] = None,
                 cache: Optional[TrainerCache] = None,
                 jobs: int = 1, baseline: bool = True) -> Dict[str, Any]:
  """Trains every row (resumably) and writes ablation.json and table.md.

  Each row is a benchmark run in output_dir/row_N over `normal_classes`; a
  row with the same losses as an earlier one (cumulative row 7) is not run
  again. With `baseline`, the classifier baseline is one more run, in
  output_dir/classifier. With jobs > 1, worker processes take the
  unfinished (row, class) runs of all rows from one queue.
  """
  table = row_losses(reading)
  rows = list(rows or sorted(table))
  output_dir = io_utils.ensure_writable_dir(output_dir)
  first_row: Dict[Tuple[str, ...], int] = {}
  for row in rows:
    first_row.setdefault(table[row], row)
  folders = {row: os.path.join(output_dir, f'row_{row}')
             for row in first_row.values()}
  for row, folder in folders.items():
    logger.info('Ablation row %d: %s', row, ' + '.join(table[row]))
  configs = {folder: row_config(base, table[row])
             for row, folder in folders.items()}
  if baseline:
    baseline_folder = sweep.add_baseline(configs, base, output_dir)
  outcomes = sweep.run_sweep(configs, normal_classes, jobs, command,
                             cache=cache)
  results: Dict[str, Any] = {'reading': reading, 'rows': {},
                             'dataset': base.data.dataset,
                             'normal_classes': None, 'command': command}
  for row in rows:
    run = first_row[table[row]]
    outcome = outcomes[folders[run]]
    entry = {'losses': list(table[row]), 'per_class': outcome['per_class'],
             'mean': outcome['mean'], 'std': outcome['std'],
             'paper_auroc': paper.ABLATION_AUROC.get(row)}
    if run != row:  # cumulative row 7 repeats row 6
      entry['repeats_row'] = True
    results['rows'][str(row)] = entry
    results['normal_classes'] = list(outcome['per_class'])
    results['class_names'] = outcome['class_names']
  if baseline:
    results['baseline'] = sweep.baseline_entry(outcomes[baseline_folder])
  results['config'] = base.to_dict()
  sweep.write_summary(output_dir, 'ablation.json', results,
                      format_table(results, base))
  return results


def format_table(results: Dict[str, Any],
                 base: BenchmarkConfig) -> str:
  """Table 6's layout with our AUROC beside the paper's."""
  classes = results.get('normal_classes') or []
  names = results.get('class_names', {})
  where = ', '.join(f'{c} ({names.get(c, c)})' for c in classes)
  header = ('| No. | ' + ' | '.join(name for name, _ in COLUMNS) +
            ' | AUROC ours (%) | AUROC paper (%) |')
  lines = [f'# Loss ablation (paper Table 6), reading: {results["reading"]}',
           '', f'Ours: {results["dataset"]}, normal class(es) {where}; mean '
           'over those classes. Paper: CIFAR-10, bird normal.', '', header,
           '|' + '---|' * (len(COLUMNS) + 3)]
  for row, entry in sorted(results['rows'].items(), key=lambda kv: int(kv[0])):
    marks = ' | '.join('✓' if loss in entry['losses'] else ''
                       for _, loss in COLUMNS)
    ours = f'{entry["mean"]:.2f}'
    if entry.get('repeats_row'):
      ours += ' (same losses as the row above)'
    paper_value = entry['paper_auroc']
    lines.append(f'| {row} | {marks} | {ours} | '
                 f'{paper_value if paper_value is not None else "—"} |')
  if results.get('baseline'):
    lines.append('| baseline | supervised classifier of G\'s size, same '
                 'data (not in the paper) |' + ' |' * (len(COLUMNS) - 1) +
                 f' {results["baseline"]["mean"]:.2f} | — |')
  train = base.train
  lines += ['', f'Schedule for every row: {train.epochs} epochs, batch '
            f'{train.batch_size}, lr {train.learning_rate:g}, augmentation '
            f'{train.augment!r}, seed {train.seed}. Losses not marked have '
            'weight 0; marked ones keep the Table 2 weights.',
            'The check marks of Table 6 are lost in the available copy of the '
            'paper; see ganad_tf/benchmark/ablation.py for the two readings.']
  return '\n'.join(lines) + '\n'
