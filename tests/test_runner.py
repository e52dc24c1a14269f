"""run_benchmark: resuming, refusing other runs, failing before writing."""

import os
import re
import shutil
import stat

import pytest

from conftest import digits_config
from ganad_tf import io_utils
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark import runner
from ganad_tf.benchmark.class_runner import TrainerCache
from ganad_tf.errors import ConfigError, OutputError


@pytest.mark.slow
def test_rerun_skips_finished_classes(finished_run, tmp_path, caplog):
  # On a copy: a rerun rewrites results.json, which other tests read.
  output_dir = str(tmp_path / 'run')
  shutil.copytree(finished_run[0], output_dir)
  results = finished_run[1]
  result_path = os.path.join(run_folder.class_dir(output_dir, 0),
                             run_folder.RESULT_FILE)
  before = os.stat(result_path).st_mtime_ns
  caplog.set_level('INFO', logger='ganad_tf')
  again = runner.run_benchmark(digits_config(), output_dir,
                               normal_classes=[0, 7])
  assert os.stat(result_path).st_mtime_ns == before
  assert again['per_class'] == results['per_class']
  assert '2 of 2 classes already finished' in caplog.text


@pytest.mark.slow
def test_rerun_of_results_without_parameter_counts(finished_run, tmp_path):
  # Class results written before they recorded the Trainer's parameter
  # counts: results.json still reports them, from the Trainer.
  output_dir, results = finished_run
  old = str(tmp_path / 'old')
  shutil.copytree(output_dir, old)
  for normal_class in (0, 7):
    path = os.path.join(run_folder.class_dir(old, normal_class),
                        run_folder.RESULT_FILE)
    result = io_utils.read_json(path)
    del result['generator_params'], result['discriminator_params']
    io_utils.write_json(path, result)
  again = runner.run_benchmark(digits_config(), old, normal_classes=[0, 7])
  assert again['per_class'] == results['per_class']
  assert (again['generator_params'], again['discriminator_params']) == (
      results['generator_params'], results['discriminator_params'])


@pytest.mark.slow
def test_other_config_in_same_folder_is_refused(finished_run):
  output_dir, _ = finished_run
  with pytest.raises(OutputError, match='different configuration'):
    runner.run_benchmark(digits_config(epochs=3), output_dir,
                         normal_classes=[0])


def test_bad_jobs_fail_before_writing(tmp_path):
  with pytest.raises(ConfigError, match='--jobs=0'):
    runner.run_benchmark(digits_config(), str(tmp_path / 'out'), jobs=0)
  assert not (tmp_path / 'out').exists()


def test_normal_class_out_of_range_fails_before_writing(tmp_path):
  output_dir = tmp_path / 'out'
  with pytest.raises(ConfigError, match='out of range for digits'):
    runner.run_benchmark(digits_config(), str(output_dir), normal_classes=[10])
  assert not (output_dir / 'config.json').exists()


def _no_data(cache, config):
  raise AssertionError('loaded the data before checking the output folder')


def test_unwritable_output_dir(tmp_path, monkeypatch):
  if os.geteuid() == 0 and os.path.isdir('/proc/self'):
    # Root (CI) ignores permission bits, and so does os.access, but no one
    # can create files in procfs.
    target = '/proc/ganad_tf_test_run'
  else:
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    target = str(locked / 'run')
  # The check comes first, before the (slow) data loading.
  monkeypatch.setattr(TrainerCache, 'data', _no_data)
  with pytest.raises(OutputError, match='Cannot write to output folder '
                     + re.escape(repr(target))):
    runner.run_benchmark(digits_config(), target)


def test_output_dir_that_is_a_file(tmp_path):
  path = tmp_path / 'file'
  path.write_text('x')
  with pytest.raises(OutputError, match='Cannot write'):
    runner.run_benchmark(digits_config(), str(path))
