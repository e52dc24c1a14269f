"""Ablation, grid search, figures and speed, end to end on tiny settings."""

import json
import os
import types

import numpy as np
import pytest

from conftest import digits_config
from ganad_tf.benchmark import ablation
from ganad_tf.benchmark import runner as benchmark
from ganad_tf.core import config as config_lib
from ganad_tf.core import metrics
from ganad_tf.core import scoring
from ganad_tf.benchmark import figure_report
from ganad_tf.benchmark import grid_search
from ganad_tf.benchmark import speed
from ganad_tf.errors import ConfigError


@pytest.fixture(scope='module')
def session():
  return benchmark.Session()


def test_ablation_rows_switch_losses_off():
  base = config_lib.ExperimentConfig()
  rows = ablation.row_losses('single')
  assert len(set(rows.values())) == 7
  plain = ablation.row_config(base, rows[1]).weights
  assert (plain.recon, plain.patch, plain.latent, plain.adv, plain.abc,
          plain.anomaly_adv) == (1.5, 0, 0, 0, 0, 0)
  assert ablation.row_config(base, rows[7]).weights == base.weights
  cumulative = ablation.row_losses('cumulative')
  assert cumulative[6] == cumulative[7] == rows[7]
  with pytest.raises(ConfigError):
    ablation.row_losses('random')


def test_ablation_runs_and_writes_the_papers_layout(tmp_path, session):
  results = ablation.run_ablation(
      digits_config(epochs=1), str(tmp_path), normal_classes=[1],
      rows=[1, 2], command='test', session=session)
  assert set(results['rows']) == {'1', '2'}
  assert results['rows']['1']['paper_auroc'] == 64.68
  for row in ('1', '2'):
    # One epoch is too short to expect learning; the value must just be the
    # AUROC of that row's own run, rebuilt from the scores it saved.
    entry = results['rows'][row]
    saved = np.load(os.path.join(benchmark.class_dir(
        str(tmp_path / f'row_{row}'), 1), benchmark.SCORES_FILE))
    assert entry['per_class']['1'] == pytest.approx(
        metrics.auroc(saved['labels'], saved['scores']))
    assert entry['mean'] == pytest.approx(entry['per_class']['1'])
  table = (tmp_path / 'table.md').read_text()
  assert '| No. | Auto Encoder | ABC |' in table
  assert '| 1 | ✓ |  |' in table and '64.68' in table
  assert json.loads((tmp_path / 'ablation.json').read_text())['reading'] == (
      'single')


def test_grid_has_315_points_and_keeps_the_constraint():
  grid = grid_search.enumerate_grid()
  assert len(grid) == 315
  assert len(grid_search.enumerate_grid(strict=False)) == 414
  assert grid_search.TABLE2 in grid
  for weights in grid:
    normal = sum(weights[n] for n in grid_search.NORMAL)
    assert normal > 2 * sum(weights[n] for n in grid_search.ANOMALY)
  order = grid_search.choose_points(grid, 5, None, seed=0)
  assert order[0] == grid.index(grid_search.TABLE2) and len(set(order)) == 5


def test_grid_search_ranks_by_validation_and_resumes(tmp_path, session,
                                                     caplog):
  base = config_lib.replace(digits_config(epochs=1),
                            data={'validation_fraction': 0.2})
  first = grid_search.run_grid_search(base, str(tmp_path), normal_classes=[2],
                                      max_points=2, session=session)
  ranking = first['ranking']
  assert len(ranking) == 2 and [r['rank'] for r in ranking] == [1, 2]
  # Each point's numbers are its class result's validation and test AUROC
  # (ranked by the first: model selection never looks at test data).
  for row in ranking:
    with open(os.path.join(benchmark.class_dir(
        str(tmp_path / grid_search.point_name(row['index'])), 2),
                           benchmark.RESULT_FILE)) as handle:
      saved = json.load(handle)
    assert row['validation_auroc'] == pytest.approx(saved['validation_auroc'])
    assert row['test_auroc'] == pytest.approx(saved['auroc'])
  assert any(r['is_table2'] for r in ranking)
  caplog.set_level('INFO', logger='ganad_tf')
  again = grid_search.run_grid_search(base, str(tmp_path), normal_classes=[2],
                                      max_points=2, session=session)
  assert again['ranking'] == ranking
  assert caplog.text.count('already finished') == 2
  assert 'validation AUROC' in (tmp_path / 'table.md').read_text()


def test_grid_search_needs_a_validation_split(tmp_path):
  with pytest.raises(ConfigError, match='validation_fraction'):
    grid_search.run_grid_search(digits_config(), str(tmp_path))


def test_figures_from_a_finished_run(finished_run):
  output_dir, _ = finished_run
  written = figure_report.write_run_figures(output_dir, examples=4)
  names = sorted(os.path.basename(p) for p in written)
  assert names == ['reconstructions_class_00.png',
                   'reconstructions_class_07.png', 'roc_curves.png',
                   'speed_bubbles.png']
  for path in written:
    with open(path, 'rb') as handle:
      assert handle.read(8) == b'\x89PNG\r\n\x1a\n'


def test_pick_examples_covers_every_anomaly_class():
  classes = np.repeat(np.arange(4), 5)
  labels = (classes != 0).astype(int)
  anomalies = figure_report.pick_examples(labels, classes, 6, anomaly=True)
  assert set(classes[anomalies]) == {1, 2, 3}
  normals = figure_report.pick_examples(labels, classes, 3, anomaly=False)
  assert set(classes[normals]) == {0}


def test_speed_times_a_real_fit_and_inference(monkeypatch):
  config = config_lib.replace(config_lib.ExperimentConfig(), train={
      'batch_size': 4, 'augment': 'none'})
  result = speed.training_speed((32, 32, 1), group_size=8, config=config)
  # Two groups of 8 at batch 4: one epoch is 4 steps.
  assert result['steps'] == 4 and result['batch_size'] == 4
  assert result['images_per_second'] == pytest.approx(
      4 * result['steps_per_second'])
  # Real scoring on a clock that moves 0.5 s a reading: each repeat must
  # time all 64 images, after one untimed tracing batch.
  scored = []
  scores = scoring.Scorer.scores
  monkeypatch.setattr(scoring.Scorer, 'scores', lambda self, images: (
      scored.append(len(images)), scores(self, images))[1])
  readings = iter(np.arange(1000) * 0.5)
  monkeypatch.setattr(speed, 'time', types.SimpleNamespace(
      perf_counter=lambda: float(next(readings))))
  inference = speed.inference_speed((32, 32, 1), num_images=64, repeats=2,
                                    batch_size=32)
  assert scored == [32, 64, 64]
  assert (inference['images_per_second'] == inference['min_images_per_second']
          == inference['max_images_per_second'] == 64 / 0.5)
