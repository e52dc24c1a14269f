"""The loss ablation of Table 6: row configs, a tiny run, the table."""

import json
import os

import numpy as np
import pytest

from conftest import digits_config
from ganad_tf.benchmark import ablation
from ganad_tf.benchmark import paper
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark.class_runner import TrainerCache
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.core import metrics
from ganad_tf.errors import ConfigError


def test_columns_name_every_loss_once():
  names = [loss for _, loss in ablation.COLUMNS]
  assert sorted(names) == sorted(config_lib.WEIGHT_NAMES)
  assert len(set(names)) == len(names)


def test_ablation_rows_switch_losses_off():
  base = BenchmarkConfig()
  rows = ablation.row_losses('single')
  assert len(set(rows.values())) == 7
  assert set(rows) == set(paper.ABLATION_AUROC)
  plain = ablation.row_config(base, rows[1]).weights
  assert (plain.recon, plain.patch, plain.latent, plain.adv, plain.abc,
          plain.anomaly_adv) == (1.5, 0, 0, 0, 0, 0)
  assert ablation.row_config(base, rows[7]).weights == base.weights
  cumulative = ablation.row_losses('cumulative')
  assert cumulative[6] == cumulative[7] == rows[7]
  with pytest.raises(ConfigError):
    ablation.row_losses('random')


@pytest.mark.slow
def test_ablation_runs_and_writes_the_papers_layout(tmp_path):
  results = ablation.run_ablation(
      digits_config(epochs=1), str(tmp_path), normal_classes=[1],
      rows=[1, 2], command='test', cache=TrainerCache())
  assert set(results['rows']) == {'1', '2'}
  assert results['rows']['1']['paper_auroc'] == 64.68
  for row in ('1', '2'):
    # One epoch is too short to expect learning; the value must just be the
    # AUROC of that row's own run, rebuilt from the scores it saved.
    entry = results['rows'][row]
    saved = np.load(os.path.join(run_folder.class_dir(
        str(tmp_path / f'row_{row}'), 1), run_folder.SCORES_FILE))
    assert entry['per_class']['1'] == pytest.approx(
        metrics.auroc(saved['labels'], saved['scores']))
    assert entry['mean'] == pytest.approx(entry['per_class']['1'])
  # The baseline row: the classifier's own run, in its own folder.
  saved = np.load(os.path.join(run_folder.class_dir(
      str(tmp_path / 'classifier'), 1), run_folder.SCORES_FILE))
  baseline = results['baseline']['per_class']['1']
  assert baseline == pytest.approx(metrics.auroc(saved['labels'],
                                                 saved['scores']))
  table = (tmp_path / 'table.md').read_text()
  assert '| No. | Auto Encoder | ABC |' in table
  assert '| 1 | ✓ |  |' in table and '64.68' in table
  assert any(line.startswith('| baseline | supervised classifier') and
             line.endswith(f'| {baseline:.2f} | — |')
             for line in table.splitlines())
  assert json.loads((tmp_path / 'ablation.json').read_text())['reading'] == (
      'single')


def test_table_marks_a_repeated_cumulative_row():
  base = digits_config()
  entry = {'losses': list(ablation.row_losses('cumulative')[6]),
           'per_class': {'2': 70.0}, 'mean': 70.0, 'std': 0.0,
           'paper_auroc': 64.89}
  results = {'reading': 'cumulative', 'dataset': 'digits',
             'normal_classes': ['2'], 'class_names': {'2': 'two'},
             'rows': {'6': entry, '7': {**entry, 'repeats_row': True,
                                        'paper_auroc': 86.76}},
             'command': None}
  table = ablation.format_table(results, base)
  assert '| 6 | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | 70.00 | 64.89 |' in table
  assert '70.00 (same losses as the row above) | 86.76 |' in table
  assert 'normal class(es) 2 (two)' in table
