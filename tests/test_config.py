"""Tests for the per-user configs: core, benchmark, inspection."""

import dataclasses
import json
import os

import pytest

from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.errors import ConfigError
from ganad_tf.inspection.config import InspectionConfig

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_loss_names_follow_the_weights_fields_by_group():
  assert config_lib.WEIGHT_NAMES == ('recon', 'patch', 'latent', 'adv', 'abc',
                                     'anomaly_adv')
  assert config_lib.NORMAL_WEIGHTS + config_lib.ANOMALY_WEIGHTS == (
      config_lib.WEIGHT_NAMES)
  weights = config_lib.LossWeights()
  assert weights.normal_sum() == 1.5 + 1.5 + 0.5 + 0.5
  assert weights.anomaly_sum() == 0.5 + 1.0


@pytest.mark.parametrize('changes,losses_on,anomaly_group', [
    ({}, ('recon', 'patch', 'latent', 'adv', 'abc', 'anomaly_adv'), True),
    ({'abc': 0.0}, ('recon', 'patch', 'latent', 'adv', 'anomaly_adv'), True),
    ({'abc': 0.0, 'anomaly_adv': 0.0}, ('recon', 'patch', 'latent', 'adv'),
     False),
    ({'patch': 0.0, 'latent': 0.0, 'adv': 0.0, 'anomaly_adv': 0.0},
     ('recon', 'abc'), True),
])
def test_losses_on_and_the_anomaly_group(changes, losses_on, anomaly_group):
  weights = dataclasses.replace(config_lib.LossWeights(), **changes)
  assert weights.losses_on() == losses_on
  assert weights.uses_anomaly_group is anomaly_group
  assert config_lib.anomaly_group_on(losses_on) is anomaly_group


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


def test_inspection_runs_keep_the_fingerprint_they_had_before_the_split():
  # train_folder resumes a run only with an equal fingerprint; before the
  # split a detector's config was the benchmark's with dataset='folder'.
  import hashlib
  old = BenchmarkConfig().to_dict()
  for section, names in config_lib.OMITTED_AT_DEFAULT.items():
    for name in names:
      del old[section][name]
  old['data'].update(dataset='folder', image_size=128,
                     validation_fraction=0.2)
  for section, names in config_lib.NON_RESULT_FIELDS.items():
    for name in names:
      old[section].pop(name)
  text = json.dumps(old, sort_keys=True, default=str)
  legacy = hashlib.sha256(text.encode()).hexdigest()[:16]
  assert config_lib.fingerprint(InspectionConfig()) == legacy


def test_max_steps_cuts_epochs_and_the_decay_interval_in_proportion():
  train = config_lib.TrainConfig(epochs=300, lr_decay_epochs=50,
                                 max_steps=20_000)
  assert train.schedule(54) == (300, 50)       # 16,200 steps: under the cap
  assert train.schedule(860) == (23, 4)        # 23 x 860 = 19,780 steps
  assert train.schedule(50_000) == (1, 1)      # one epoch at least
  assert config_lib.TrainConfig(epochs=12, lr_decay_epochs=4,
                                min_steps=8000).schedule(63) == (132, 44)
  with pytest.raises(ConfigError, match='max_steps'):
    config_lib.TrainConfig(max_steps=-1).validate()
  with pytest.raises(ConfigError, match='above max_steps'):
    config_lib.TrainConfig(min_steps=9000, max_steps=5000).validate()
