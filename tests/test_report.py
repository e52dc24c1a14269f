"""results.json and table.md of a run, and the scoring summary."""

import json
import os

import numpy as np
import pytest

from conftest import digits_config
from ganad_tf.benchmark import report
from ganad_tf.benchmark.protocol import PreparedData
from ganad_tf.errors import OutputError


def _results(**overrides):
  """A hand-made results dict with the fields format_table reads."""
  results = {
      'dataset': 'fashion_mnist', 'data_source': 'local:/data/fmnist',
      'class_names': {'0': 'T-shirt/top', '6': 'Shirt'},
      'per_class': {'0': 91.234, '6': 80.5},
      'mean': 85.867, 'std': 5.367, 'num_classes_run': 2, 'complete': False,
      'generator_params': 96_985, 'discriminator_params': 76_136,
      'paper': {'mean': 98.6, 'std': 1.2},
      'config': digits_config(epochs=24).to_dict(),
      'timings': {'this_invocation_wall_seconds': 90.0,
                  'sum_class_seconds': 7200.0},
      'command': 'python -m experiments.benchmark --dataset=fashion_mnist',
  }
  results.update(overrides)
  return results


def test_format_table_of_a_hand_made_result():
  table = report.format_table(_results())
  lines = table.splitlines()
  assert lines[0] == '# fashion_mnist: AUROC (%) with each class as normal'
  assert '| 0 | T-shirt/top | 91.23 |' in lines
  assert '| 6 | Shirt | 80.50 |' in lines
  assert '| **mean ± SD** | 2 classes | **85.87 ± 5.37** |' in lines
  assert '| paper (Sec. 4.3) | claimed | 98.6 ± 1.20 |' in lines
  assert 'Only 2 classes were run' in table
  assert ('Generator 96,985 parameters, discriminator 76,136 (paper: '
          '97.75K, 76.39K).') in table
  assert 'Training: 24 epochs, batch 16, lr 0.001' in table
  assert ('Time: 2h00m summed over classes; this invocation took 1m30s '
          'wall clock.') in table
  assert 'Data: local:/data/fmnist.' in table
  assert table.endswith('```\n')


def test_format_table_without_paper_claim_or_command():
  table = report.format_table(_results(paper=None, complete=True,
                                       command=None))
  assert 'paper (Sec. 4.3)' not in table
  assert 'Only' not in table and '```' not in table


def test_format_table_adds_test_auroc_by_score():
  # Two classes scored four ways (an --encoder_head run): a second table,
  # one column per kind, with each kind's mean and population SD.
  def detail(l1, head):
    return {'test_auroc_by_score': {'l1': l1, 'l2': l1 + 1, 'patch': l1 - 1,
                                    'head': head}}
  table = report.format_table(_results(
      per_class_detail={'0': detail(91.0, 95.0), '6': detail(81.0, 90.0)}))
  lines = table.splitlines()
  assert 'Test AUROC (%) by anomaly score (the table above is --score=l1):' \
      in lines
  assert '| normal class | l1 | l2 | patch | head |' in lines
  assert '| 0 T-shirt/top | 91.00 | 92.00 | 90.00 | 95.00 |' in lines
  assert ('| **mean ± SD** | 86.00 ± 5.00 | 87.00 ± 5.00 | 85.00 ± 5.00 | '
          '92.50 ± 2.50 |') in lines
  # One kind (or results without per-class detail): no second table.
  one = {'test_auroc_by_score': {'logit': 90.0}}
  assert 'by anomaly score' not in report.format_table(_results(
      per_class_detail={'0': one, '6': one}))
  assert 'by anomaly score' not in report.format_table(_results())


def test_scoring_summary():
  summary = report.scoring_summary(np.array([1.0, 2.0, 5.0, 7.0]),
                                   np.array([0, 0, 1, 1]))
  assert summary == {'mean_score_normal': 1.5, 'mean_score_anomaly': 6.0}


def test_collect_results_needs_every_class(tmp_path):
  data = PreparedData('digits', np.zeros((1, 32, 32, 1), np.float32),
                      np.zeros(1, np.int64), np.zeros((1, 32, 32, 1),
                                                      np.float32),
                      np.zeros(1, np.int64), ['0'], 'sklearn')
  with pytest.raises(OutputError, match='Class 0 has no result'):
    report.collect_results(digits_config(), data, [0], str(tmp_path), 1.0,
                           None, count_parameters=dict)
  assert not os.listdir(tmp_path)


@pytest.mark.slow
def test_results_json_has_the_promised_fields(finished_run):
  # finished_run (conftest): digits, classes 0 and 7, two epochs.
  output_dir, results = finished_run
  with open(os.path.join(output_dir, 'results.json')) as handle:
    saved = json.load(handle)
  assert saved == json.loads(json.dumps(results))
  for key in ('dataset', 'per_class', 'mean', 'std', 'generator_params',
              'discriminator_params', 'config', 'timings', 'environment',
              'per_class_detail'):
    assert key in saved
  assert saved['dataset'] == 'digits'
  assert set(saved['per_class']) == {'0', '7'}
  assert saved['generator_params'] == 96_985
  assert saved['discriminator_params'] == 76_136
  values = list(saved['per_class'].values())
  assert saved['mean'] == pytest.approx(np.mean(values))
  assert saved['std'] == pytest.approx(np.std(values))
  assert saved['config']['train']['epochs'] == 2
  assert saved['complete'] is False
  assert saved['command'] == 'test'


@pytest.mark.slow
def test_table_lists_classes_and_the_paper_claim(finished_run):
  output_dir, results = finished_run
  with open(os.path.join(output_dir, 'table.md')) as handle:
    table = handle.read()
  assert table == report.format_table(results)
  assert '| 0 | 0 |' in table and '| 7 | 7 |' in table
  assert 'mean ± SD' in table and 'Only 2 classes were run' in table


def test_format_table_states_the_step_budget_and_the_steps_it_gave():
  config = digits_config(epochs=12)
  config.train.min_steps = 9000
  table = report.format_table(_results(
      config=config.to_dict(),
      per_class_detail={'0': {'steps': 9072}, '6': {'steps': 9450}}))
  assert ('step budget --min_steps=9000 (epochs and lr decay stretched by a '
          'whole factor): 9,072-9,450 steps per class.') in table
  assert 'step budget' not in report.format_table(_results())


def test_class_seconds_include_earlier_invocations_when_recorded():
  this_run = {'sampling': 1.0, 'train': 10.0, 'score': 2.0, 'total': 13.0}
  assert report.class_seconds({'seconds': this_run}) == 13.0
  assert report.class_seconds(
      {'seconds': {**this_run, 'train_all_runs': None}}) == 13.0
  # 50 s of training in earlier invocations, 10 s in this one.
  assert report.class_seconds(
      {'seconds': {**this_run, 'train_all_runs': 60.0}}) == 63.0
