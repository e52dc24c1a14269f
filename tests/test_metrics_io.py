"""Metrics, atomic writes, config round trips and progress lines."""

import json
import os
import stat

import numpy as np
import pytest

from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf import io_utils
from ganad_tf.core import metrics
from ganad_tf.errors import ConfigError, DatasetError
from ganad_tf.progress import ProgressLogger, format_duration


def test_auroc_hand_computed():
  # Pairs (anomaly, normal): (0.8,0.1) (0.8,0.4) (0.35,0.1) (0.35,0.4):
  # 3 of 4 ordered correctly.
  labels = [0, 0, 1, 1]
  scores = [0.1, 0.4, 0.35, 0.8]
  assert metrics.auroc(labels, scores) == pytest.approx(75.0)


def test_auroc_needs_both_labels_and_finite_scores():
  with pytest.raises(DatasetError, match='both normal'):
    metrics.auroc([1, 1], [0.1, 0.2])
  with pytest.raises(FloatingPointError):
    metrics.auroc([0, 1], [0.1, np.nan])


def test_best_f1_threshold_and_detection_metrics():
  labels = np.array([0, 0, 0, 1, 1])
  scores = np.array([0.1, 0.2, 0.6, 0.5, 0.9])
  threshold = metrics.best_f1_threshold(labels, scores)
  result = metrics.detection_metrics(labels, scores, threshold)
  # Best F1 flags 0.5, 0.6 and 0.9: precision 2/3, recall 1, F1 0.8.
  assert threshold == pytest.approx(0.5)
  assert result['f1'] == pytest.approx(0.8)
  assert result['precision'] == pytest.approx(2 / 3)
  assert result['recall'] == 1.0
  assert result['false_positive_rate'] == pytest.approx(1 / 3)


def test_threshold_at_fpr():
  labels = np.array([0] * 10 + [1] * 2)
  scores = np.concatenate([np.arange(10) / 10, [2.0, 3.0]])
  threshold = metrics.threshold_at_fpr(labels, scores, 0.1)
  result = metrics.detection_metrics(labels, scores, threshold)
  assert result['false_positive_rate'] <= 0.1
  assert result['false_positives'] == 1
  zero = metrics.threshold_at_fpr(labels, scores, 0.0)
  assert metrics.detection_metrics(labels, scores, zero)[
      'false_positives'] == 0


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path):
  path = tmp_path / 'result.json'
  io_utils.write_json(str(path), {'a': 1})
  with pytest.raises(TypeError):
    io_utils.write_json(str(path), {'a': object()})
  assert json.loads(path.read_text()) == {'a': 1}
  assert [p.name for p in tmp_path.iterdir()] == ['result.json']


def test_atomic_writes_get_the_permissions_of_a_normal_file(tmp_path):
  # mkstemp makes owner-only files; results must get the mode open() would
  # give (0o644 under the usual umask 022), so others can read them.
  umask = os.umask(0o022)
  os.umask(umask)
  io_utils.write_text(str(tmp_path / 'table.md'), 'x')
  io_utils.save_npz(str(tmp_path / 'scores.npz'), scores=np.zeros(2))
  with open(tmp_path / 'plain.txt', 'w') as handle:
    handle.write('x')
  expected = stat.S_IMODE(os.stat(tmp_path / 'plain.txt').st_mode)
  assert expected == 0o666 & ~umask
  for name in ('table.md', 'scores.npz'):
    assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == expected


def test_atomic_npz_round_trip(tmp_path):
  path = str(tmp_path / 'scores.npz')
  io_utils.save_npz(path, scores=np.arange(3.0), labels=np.array([0, 1, 1]))
  loaded = np.load(path)
  np.testing.assert_array_equal(loaded['labels'], [0, 1, 1])


def test_json_handles_numpy_values(tmp_path):
  path = str(tmp_path / 'x.json')
  io_utils.write_json(path, {'a': np.float32(1.5), 'b': np.arange(2)})
  assert io_utils.read_json(path) == {'a': 1.5, 'b': [0, 1]}


def test_config_round_trip_and_fingerprint():
  config = BenchmarkConfig()
  again = BenchmarkConfig.from_dict(json.loads(config.to_json()))
  assert again == config
  assert config_lib.fingerprint(config) == config_lib.fingerprint(again)
  # Logging and paths do not change the result, so not the fingerprint...
  cosmetic = config_lib.replace(config, train={'log_every_secs': 1.0},
                                data={'data_dir': '/elsewhere'})
  assert config_lib.fingerprint(cosmetic) == config_lib.fingerprint(config)
  # ...but a weight does.
  changed = config_lib.replace(config, weights={'abc': 1.0})
  assert config_lib.fingerprint(changed) != config_lib.fingerprint(config)


def test_config_defaults_are_the_papers():
  config = BenchmarkConfig()
  weights = config.weights
  assert (weights.recon, weights.patch, weights.latent, weights.adv,
          weights.abc, weights.anomaly_adv) == (1.5, 1.5, 0.5, 0.5, 0.5, 1.0)
  train = config.train
  assert (train.epochs, train.batch_size, train.learning_rate,
          train.lr_decay_epochs, train.lr_decay_factor, train.patch_size,
          train.patch_stride, train.top_patches) == (300, 1, 1e-4, 50, 0.5,
                                                     16, 8, 3)
  assert weights.normal_sum() > 2 * weights.anomaly_sum()


@pytest.mark.parametrize('section,values,message', [
    ('weights', {'abc': -1.0}, 'must be a finite number >= 0'),
    ('weights', {'recon': 0, 'patch': 0, 'latent': 0, 'adv': 0},
     'All normal-group loss weights are 0'),
    ('train', {'learning_rate': 0.0}, 'learning_rate'),
    ('train', {'top_patches': 10}, 'exceeds the 9 patches'),
    ('train', {'augment': 'mixup'}, 'Unknown augment'),
    ('data', {'image_size': 30}, 'multiple of 16'),
    ('model', {'norm': 'layer'}, 'Unknown norm'),
    ('eval', {'score': 'max'}, 'Unknown score'),
])
def test_config_errors_name_the_field(section, values, message):
  with pytest.raises(ConfigError, match=message):
    config_lib.replace(BenchmarkConfig(),
                       **{section: values}).validate()


def test_unknown_config_field():
  with pytest.raises(ConfigError, match='Unknown TrainConfig fields'):
    BenchmarkConfig.from_dict({'train': {'epoch': 3}})


def test_progress_logger_reports_rate_and_eta():
  now = [0.0]
  lines = []
  progress = ProgressLogger(100, every_secs=5, prefix='step ',
                            clock=lambda: now[0], log=lines.append)
  now[0] = 10.0
  progress.update(20, {'loss': 0.5})
  now[0] = 12.0
  assert progress.update(25) is None  # within every_secs
  assert '20/100' in lines[0] and '2.0 steps/s' in lines[0]
  assert 'ETA 40s' in lines[0] and 'loss=0.5' in lines[0]
  assert format_duration(3725) == '1h02m'
