"""Tests for the per-user configs: core, benchmark, inspection."""

import json
import os

import pytest

from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.errors import ConfigError
from ganad_tf.inspection.config import InspectionConfig

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_loss_names_follow_the_weights_fields_by_group():
  assert config_lib.LOSS_NAMES == ('recon', 'patch', 'latent', 'adv', 'abc',
                                   'anomaly_adv')
  assert config_lib.NORMAL_LOSSES + config_lib.ANOMALY_LOSSES == (
      config_lib.LOSS_NAMES)
  weights = config_lib.LossWeights()
  assert weights.normal_sum() == 1.5 + 1.5 + 0.5 + 0.5
  assert weights.anomaly_sum() == 0.5 + 1.0


@pytest.mark.parametrize('path', [
    os.path.join(REPO, 'results', run, 'config.json') for run in (
        'fashion_mnist', 'paper_schedule/fashion_mnist',
        'paper_schedule/cifar10_jpeg')])
def test_committed_benchmark_configs_keep_their_fingerprint(path):
  # The config split must not change what identifies a committed run, or a
  # rerun would refuse to resume it (the paper-schedule runs resume so).
  with open(path) as handle:
    stored = json.load(handle)
  config = BenchmarkConfig.from_dict(stored['config'])
  assert config_lib.fingerprint(config) == stored['fingerprint']


def test_inspection_reads_detectors_saved_before_the_split():
  old = BenchmarkConfig().to_dict()  # the pre-split config held this
  for name in config_lib.OMITTED_AT_DEFAULT['data']:
    del old['data'][name]  # added later, never in a saved detector
  old['data'].update(dataset='folder', image_size=128,
                     validation_fraction=0.2)
  config = InspectionConfig.from_dict(old)
  assert config == InspectionConfig()


def test_a_config_refuses_sections_it_does_not_have():
  with pytest.raises(ConfigError, match='Unknown InspectionConfig sections'):
    InspectionConfig.from_dict({'grid': {}})
  with pytest.raises(ConfigError, match='multiple of 16'):
    config_lib.replace(InspectionConfig(), data={'image_size': 40}).validate()


def test_replace_keeps_the_config_class():
  config = config_lib.replace(InspectionConfig(), train={'epochs': 3})
  assert isinstance(config, InspectionConfig) and config.train.epochs == 3


def test_fields_added_later_change_the_fingerprint_only_when_set():
  # At their defaults they are left out (test above: committed runs keep
  # their fingerprint); set, they make a different run.
  legacy = config_lib.fingerprint(BenchmarkConfig())
  for section, defaults in config_lib.OMITTED_AT_DEFAULT.items():
    for name, default in defaults.items():
      other = 2 if isinstance(default, int) else 'other'
      changed = config_lib.replace(BenchmarkConfig(), **{section: {name: other}})
      assert config_lib.fingerprint(changed) != legacy, name


def test_min_steps_scales_epochs_by_the_smallest_whole_factor():
  train = config_lib.TrainConfig(epochs=12, min_steps=0)
  assert train.epoch_scale(63) == 1
  train = config_lib.TrainConfig(epochs=12, min_steps=8000)
  assert train.epoch_scale(63) == 11  # 12 x 63 = 756; 11 x 756 = 8316
  assert train.epoch_scale(750) == 1  # 9000 steps already
  assert train.epoch_scale(666) == 2  # 7992 < 8000
  with pytest.raises(ConfigError, match='min_steps'):
    config_lib.TrainConfig(min_steps=-1).validate()
