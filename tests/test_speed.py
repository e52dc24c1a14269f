"""Training and inference throughput, timed on a real fit and Scorer."""

import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest

from ganad_tf.benchmark import speed
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.core import scoring

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_speed_times_a_real_fit_and_inference(monkeypatch):
  config = config_lib.replace(BenchmarkConfig(), train={
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


@pytest.mark.slow
def test_speed_tool_measures_onednn_off_and_on_in_fresh_processes(tmp_path):
  output = tmp_path / 'speed.json'
  completed = subprocess.run(
      [sys.executable, '-m', 'experiments.speed', '--shapes=32x32x1',
       '--batch_sizes=4', '--group_size=8', '--layouts=1x1',
       '--onednn=off,on', '--noinference', '--augment=none',
       f'--output={output}'],
      cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
  assert completed.returncode == 0, completed.stderr[-3000:]
  report = json.loads(output.read_text())
  assert report['machine']['cpu_model']
  rows = report['training']
  assert sorted(rows) == ['32x32x1/batch4/1x1/onednn0',
                          '32x32x1/batch4/1x1/onednn1']
  # Each worker says what TensorFlow really ran, not what was asked.
  for key, enabled in (('onednn0', False), ('onednn1', True)):
    row = rows[f'32x32x1/batch4/1x1/{key}']
    assert [r['numerics']['onednn'] for r in row['per_process']] == [enabled]
    assert row['total_images_per_second'] > 0
  assert 'oneDNN off:' in completed.stdout and 'oneDNN on:' in completed.stdout
