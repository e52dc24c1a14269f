"""AUROC-vs-epoch curves from generator snapshots of a benchmark run."""

import os

import numpy as np
import pytest

from conftest import digits_config
from ganad_tf.benchmark import runner
from ganad_tf.benchmark import curves
from ganad_tf import io_utils
from ganad_tf.core import metrics
from ganad_tf.errors import OutputError


@pytest.mark.slow
def test_curve_scores_each_snapshot_once(tmp_path):
  output_dir = str(tmp_path / 'run')
  config = digits_config(epochs=2, snapshot_every_epochs=1)
  runner.run_benchmark(config, output_dir, normal_classes=[1])
  curve = curves.snapshot_curve(output_dir, 1)
  assert [p['epoch'] for p in curve['points']] == [1, 2]
  # The last snapshot is the final generator: its AUROC is the class's.
  result = io_utils.read_json(os.path.join(output_dir, 'class_01',
                                           'result.json'))
  assert curve['points'][-1]['auroc'] == pytest.approx(result['auroc'],
                                                       abs=1e-6)
  saved = np.load(os.path.join(output_dir, 'class_01', 'scores.npz'))
  assert result['auroc'] == pytest.approx(
      metrics.auroc(saved['labels'], saved['scores']), abs=1e-6)
  # A second call finds nothing new and keeps the points.
  path = os.path.join(output_dir, 'class_01', curves.CURVE_FILE)
  before = os.path.getmtime(path)
  assert curves.snapshot_curve(output_dir, 1) == curve
  assert os.path.getmtime(path) == before
  assert '| 2 |' in curves.format_curve(curve)


@pytest.mark.slow
def test_a_classifier_run_has_a_curve_of_its_logit(tmp_path):
  from ganad_tf.core import config as config_lib
  output_dir = str(tmp_path / 'run')
  config = config_lib.replace(digits_config(epochs=2, snapshot_every_epochs=1),
                              model={'kind': 'classifier'})
  runner.run_benchmark(config, output_dir, normal_classes=[1])
  curve = curves.snapshot_curve(output_dir, 1)
  result = io_utils.read_json(os.path.join(output_dir, 'class_01',
                                           'result.json'))
  assert curve['points'][-1]['auroc'] == pytest.approx(result['auroc'],
                                                       abs=1e-6)
  assert set(curve['points'][-1]['auroc_by_score']) == {'logit'}
  assert '| AUROC (logit) |' in curves.format_curve(curve)


def test_curve_needs_a_benchmark_folder(tmp_path):
  with pytest.raises(OutputError, match='config.json'):
    curves.snapshot_curve(str(tmp_path), 0)
