"""absl flags are generated from the config and default to the paper's."""

import pathlib

from absl import flags
import pytest

from experiments import flags as experiment_flags
from ganad_tf.benchmark import study
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.inspection.config import InspectionConfig


def _parsed(*argv, **overrides):
  flag_values = flags.FlagValues()
  experiment_flags.define_config_flags(BenchmarkConfig, flag_values,
                                       **overrides)
  flag_values(['prog', *argv])
  return experiment_flags.config_from_flags(flag_values)


def test_defaults_are_the_config_defaults():
  assert _parsed() == BenchmarkConfig()


def test_flags_set_their_fields():
  config = _parsed('--epochs=7', '--w_abc=1.5', '--norm=none',
                   '--eval_batch_size=64', '--dataset=cifar10',
                   '--anomaly_total=100', '--nodeterministic_ops')
  assert config.train.epochs == 7
  assert config.weights.abc == 1.5
  assert config.model.norm == 'none'
  assert config.eval.batch_size == 64
  assert config.data.dataset == 'cifar10'
  assert config.data.anomaly_total == 100
  assert config.train.deterministic_ops is False


def test_default_overrides():
  assert _parsed(epochs=3).train.epochs == 3


def test_every_field_has_one_flag():
  names = experiment_flags.all_flag_names()
  assert len(names) == len(set(names))
  assert {'w_recon', 'w_anomaly_adv', 'eval_batch_size', 'batch_size',
          'learning_rate', 'kmeans_k'} <= set(names)


def test_each_tool_shows_only_the_flags_its_config_reads():
  benchmark = set(experiment_flags.all_flag_names(BenchmarkConfig))
  inspection = set(experiment_flags.all_flag_names(InspectionConfig))
  benchmark_only = {'dataset', 'tfds_data_dir', 'anomaly_total', 'data_dir'}
  assert benchmark_only <= benchmark
  assert not benchmark_only & inspection
  assert {'w_abc', 'epochs', 'image_size', 'validation_fraction',
          'score'} <= inspection


def test_inspection_flags_default_to_the_inspection_config():
  flag_values = flags.FlagValues()
  experiment_flags.define_config_flags(InspectionConfig, flag_values)
  flag_values(['prog', '--image_size=64'])
  config = experiment_flags.config_from_flags(flag_values, InspectionConfig)
  assert config == config_lib.replace(InspectionConfig(),
                                      data={'image_size': 64})


PRESETS = pathlib.Path(__file__).resolve().parents[1] / 'experiments/presets'


@pytest.mark.parametrize('name', ['quick.cfg', 'cpu.cfg', 'cpu_hour.cfg'])
def test_each_preset_parses_into_a_valid_config(name):
  config = _parsed(f'--flagfile={PRESETS / name}')
  assert config.train.batch_size == 16


def test_authors_preset_switches_every_second_source_reading_on():
  base = _parsed(f'--flagfile={PRESETS / "cpu_hour.cfg"}')
  both = _parsed(f'--flagfile={PRESETS / "cpu_hour.cfg"}',
                 f'--flagfile={PRESETS / "authors.cfg"}')
  assert config_lib.replace(base, model={'init': 'normal'}, train={
      'disc_loss': 'bce', 'adam_beta1': 0.5, 'lr_decay_factor': 1.0,
      'detach_patch_loss': True, 'augment': 'authors',
      'group_schedule': 'proportional', 'abc_reduction': 'batch'}) == both
  # The paper's text stays the default where it is explicit.
  assert BenchmarkConfig().train.disc_loss == 'lsgan'


def test_cpu_hour_preset_is_the_cpu_preset_with_the_studys_chosen_row():
  # The preset's comments cite the study row it comes from; this keeps the
  # file and the row in step.
  cpu = _parsed(f'--flagfile={PRESETS / "cpu.cfg"}')
  chosen = study.setting_config(cpu, 'latent_stop_gradient+epochs_x2')
  chosen = config_lib.replace(chosen, train={'min_steps': 9000})
  assert _parsed(f'--flagfile={PRESETS / "cpu_hour.cfg"}') == chosen


@pytest.mark.slow
@pytest.mark.parametrize('tool', ['benchmark', 'train_folder'])
def test_help_lists_our_flags_and_not_absls(tool):
  import subprocess
  import sys
  out = subprocess.run(
      [sys.executable, '-m', f'experiments.{tool}', '--help'],
      cwd=str(PRESETS.parents[1]), capture_output=True, text=True,
      timeout=300).stdout
  assert '--model:' in out and '--epochs:' in out and '--w_abc:' in out
  assert '--verbosity' not in out and '--logtostderr' not in out


def test_detector_settings_flags_are_generated_from_their_fields():
  from ganad_tf.inspection.settings import DetectorSettings
  flag_values = flags.FlagValues()
  experiment_flags.define_dataclass_flags(DetectorSettings, flag_values)
  flag_values(['prog'])
  assert experiment_flags.dataclass_from_flags(
      DetectorSettings, flag_values) == DetectorSettings()
  flag_values.unparse_flags()
  flag_values(['prog', '--tile_size=64', '--tile_stride=64x48',
               '--channels=1', '--resize_to=96x64', '--resize_mode=pad',
               '--target_fpr=0.05', '--nocenter_tiles'])
  settings = experiment_flags.dataclass_from_flags(DetectorSettings,
                                                   flag_values)
  assert (settings.tile_size, settings.tile_stride) == ((64, 64), (48, 64))
  assert (settings.channels, settings.resize_to) == (1, (64, 96))
  assert settings.resize_mode == 'pad' and settings.target_fpr == 0.05
  assert not settings.center_tiles
  with pytest.raises(flags.IllegalFlagValueError):
    flag_values(['prog', '--resize_mode=crop'])


def test_every_flag_has_its_own_help():
  # Help texts live on the fields; none falls back to the field's name.
  for config_class in (BenchmarkConfig, InspectionConfig):
    flag_values = flags.FlagValues()
    experiment_flags.define_config_flags(config_class, flag_values)
    for name in experiment_flags.all_flag_names(config_class):
      assert len(flag_values[name].help) > 20, name
