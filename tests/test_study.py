"""Tests for the validation-only study runner."""

import json
import os

import numpy as np
import pytest

from conftest import digits_config
from ganad_tf.benchmark import parallel
from ganad_tf.benchmark import study
from ganad_tf.benchmark.class_runner import ClassRunner
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.core import metrics
from ganad_tf.errors import ConfigError


def test_every_named_setting_is_a_valid_change_of_the_preset():
  base = config_lib.replace(digits_config(), data={'validation_fraction': 0.1})
  for name in study.SETTINGS:
    config = study.setting_config(base, name)
    for section, fields in study.setting_changes(base, name).items():
      for field, value in fields.items():
        assert getattr(getattr(config, section), field) == value, name
  with pytest.raises(ConfigError, match='Unknown study setting'):
    study.setting_config(base, 'faster')
  # Longer schedules scale the base's, keeping where the lr decays.
  longer = study.setting_config(base, 'epochs_x4')
  assert longer.train.epochs == 4 * base.train.epochs
  assert longer.train.lr_decay_epochs == 4 * base.train.lr_decay_epochs
  assert study.setting_config(base, 'seed_2').train.seed == base.train.seed + 2
  # '+' combines settings, each on top of the ones before it.
  assert study.setting_changes(base, 'epochs_x2+lr_3e-4+epochs_x2') == {
      'train': {'epochs': 4 * base.train.epochs,
                'lr_decay_epochs': 4 * base.train.lr_decay_epochs,
                'learning_rate': 3e-4}}
  with pytest.raises(ConfigError, match="Unknown study setting 'fast'"):
    study.setting_config(base, 'base+fast')


def test_a_study_needs_a_validation_split_and_distinct_settings(tmp_path):
  with pytest.raises(ConfigError, match='validation_fraction'):
    study.run_study(digits_config(), ['base'], str(tmp_path))
  base = config_lib.replace(digits_config(), data={'validation_fraction': 0.1})
  for settings in ([], ['base', 'base']):
    with pytest.raises(ConfigError, match='distinct names'):
      study.run_study(base, settings, str(tmp_path))


@pytest.mark.slow
def test_a_tiny_study_reports_validation_by_score_and_test_for_info(
    tmp_path, monkeypatch):
  base = config_lib.replace(digits_config(epochs=1),
                            data={'validation_fraction': 0.2})
  settings = ['base', 'latent_stop_gradient', 'classifier']
  queued = []
  real_run_tasks = parallel.run_tasks
  monkeypatch.setattr(parallel, 'run_tasks', lambda tasks, jobs: (
      queued.append([(os.path.basename(t.output_dir), t.normal_class)
                     for t in tasks]), real_run_tasks(tasks, jobs)))
  # With --jobs=2 the two settings' one class each train at once, one per
  # worker, from one queue (a pool per setting would have had one task).
  results = study.run_study(base, settings, str(tmp_path),
                            normal_classes=[3], jobs=2)
  assert queued == [[('base', 3), ('latent_stop_gradient', 3),
                     ('classifier', 3)]]
  assert [row['setting'] for row in results['rows']] == settings
  *gan_rows, classifier_row = results['rows']
  for row in gan_rows:
    assert set(row['validation_auroc']['3']) == set(config_lib.SCORES)
    assert set(row['test_auroc']['3']) == set(config_lib.SCORES)
    assert row['score'] == 'l1'
  # The baseline row: its one score, and train AUROC beside validation.
  assert classifier_row['score'] == config_lib.CLASSIFIER_SCORE
  assert set(classifier_row['validation_auroc']['3']) == {'logit'}
  assert 50 < classifier_row['train_auroc']['3'] <= 100
  # The two settings train differently, so their numbers differ.
  first, second = (row['validation_auroc']['3']['l1'] for row in gan_rows)
  assert first != second
  with open(os.path.join(tmp_path, 'study.json')) as handle:
    assert json.load(handle)['rows'][1]['changes'] == {
        'train': {'latent_target': 'stop_gradient'}}
  table = (tmp_path / 'table.md').read_text()
  assert '| base |' in table and '| latent_stop_gradient |' in table
  logit = classifier_row['validation_auroc']['3']['logit']
  assert f'| classifier | {logit:.2f} | {logit:.2f} |' in table
  # Each setting's raw scores rebuild its validation and test AUROCs.
  for row in gan_rows:
    saved = np.load(os.path.join(tmp_path, row['setting'], 'class_03',
                                 'scores.npz'))
    for kind in config_lib.SCORES:
      assert metrics.auroc(
          saved['validation_labels'],
          saved[f'validation_scores_{kind}']) == pytest.approx(
              row['validation_auroc']['3'][kind])
      assert metrics.auroc(saved['labels'],
                           saved[f'test_scores_{kind}']) == pytest.approx(
                               row['test_auroc']['3'][kind])
  # Run again: every class is done, so nothing trains and the rows are the
  # same, read back from the run folders.
  monkeypatch.setattr(ClassRunner, 'run', lambda *_: pytest.fail('retrained'))
  again = study.run_study(base, settings, str(tmp_path), normal_classes=[3],
                          jobs=2)
  assert len(queued) == 1 and again['rows'] == results['rows']


def test_table_states_the_seed_noise():
  def row(setting, aurocs):
    return {'setting': setting, 'changes': {}, 'minutes': 1.0,
            'validation_auroc': {c: {'l1': v, 'l2': v, 'patch': v}
                                 for c, v in aurocs.items()},
            'test_auroc': {c: {} for c in aurocs}}
  results = {'class_names': {'2': 'Pullover', '6': 'Shirt'}, 'rows': [
      row('base', {'2': 90.0, '6': 80.0}), row('seed_1', {'2': 91.0, '6': 83.0}),
      row('epochs_x2', {'2': 99.0, '6': 99.0}),
      row('seed_1+epochs_x2', {'2': 99.0, '6': 99.0})]}
  # Means 85.0 and 87.0 over the two seeds; the others are not seed rows.
  assert ('the mean validation AUROC spans 2.00 points (85.00 to 87.00); '
          'per class, max - min: Pullover 1.00, Shirt 3.00.'
          ) in study.format_table(results)
  # epochs_x2 with another seed is a seed row of epochs_x2.
  assert ('Seed noise (2 seeds of epochs_x2: epochs_x2, seed_1+epochs_x2): '
          'the mean validation AUROC spans 0.00 points') in (
              study.format_table(results))
  results['rows'] = results['rows'][::2]  # base and epochs_x2
  assert 'Seed noise' not in study.format_table(results)


def test_table_gives_each_scores_mean_and_the_heads_seed_noise():
  def row(setting, l1, head):
    return {'setting': setting, 'changes': {}, 'minutes': 1.0, 'score': 'l1',
            'validation_auroc': {c: {'l1': l1[i], 'l2': l1[i],
                                     'patch': l1[i], 'head': head[i]}
                                 for i, c in enumerate(('2', '6'))},
            'test_auroc': {c: {} for c in ('2', '6')}}
  results = {'class_names': {'2': 'Pullover', '6': 'Shirt'}, 'rows': [
      row('encoder_head', (90.0, 80.0), (95.0, 85.0)),
      row('encoder_head+seed_1', (90.0, 82.0), (94.0, 85.0))]}
  table = study.format_table(results)
  # Means: l1 85.00 (the row's own score, bold) and 86.00; head 90.00 and
  # 89.50.
  assert ('| encoder_head | **85.00** | 85.00 | 85.00 | 90.00 |  |'
          in table)
  assert ('Seed noise (2 seeds of encoder_head: encoder_head, '
          'encoder_head+seed_1): the mean validation AUROC spans 1.00 '
          'points (85.00 to 86.00); per class, max - min: Pullover 0.00, '
          'Shirt 2.00.') in table
  assert ('Seed noise (2 seeds of encoder_head, score head: encoder_head, '
          'encoder_head+seed_1): the mean validation AUROC spans 0.50 '
          'points (89.50 to 90.00); per class, max - min: Pullover 1.00, '
          'Shirt 0.00.') in table
  # Over the two seeds: l1 means 85 and 86 -> 85.50 ± 0.50; head 90 and
  # 89.5 -> 89.75 ± 0.25; no logit.
  assert ('| encoder_head | 2 | 85.50 ± 0.50 | 85.50 ± 0.50 | 85.50 ± 0.50 | '
          '89.75 ± 0.25 |  |') in table.splitlines()
  assert study.seed_family('seed_2') == 'base'
  assert study.seed_family('detached_patch+encoder_head+seed_2') == (
      'detached_patch+encoder_head')
  results['rows'] = results['rows'][:1]
  assert 'Mean over seeds' not in study.format_table(results)



def test_the_authors_row_is_the_authors_preset():
  # Every reading alone is a row, and 'authors' is all of them: the same
  # changes as experiments/presets/authors.cfg.
  import pathlib
  from absl import flags
  from experiments import flags as experiment_flags
  flag_values = flags.FlagValues()
  experiment_flags.define_config_flags(BenchmarkConfig, flag_values)
  presets = pathlib.Path(__file__).resolve().parents[1] / 'experiments/presets'
  flag_values(['prog', f'--flagfile={presets / "authors.cfg"}'])
  assert study.setting_config(BenchmarkConfig(), 'authors') == (
      experiment_flags.config_from_flags(flag_values))
  combined = '+'.join(study.AUTHORS_READINGS)
  assert study.setting_config(BenchmarkConfig(), combined) == (
      study.setting_config(BenchmarkConfig(), 'authors'))
