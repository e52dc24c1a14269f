"""End-to-end benchmark on the embedded digits data, and its outputs."""

import json
import os
import re
import stat
import subprocess
import sys

import numpy as np
import pytest

from conftest import digits_config
from ganad_tf.benchmark import runner as benchmark
from ganad_tf.core import config as config_lib
from ganad_tf.core import metrics
from ganad_tf.errors import ConfigError, OutputError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _config(**train):
  return digits_config(**train)


def test_results_json_has_the_promised_fields(finished_run):
  # finished_run (conftest): digits, classes 0 and 7, two epochs.
  output_dir, results = finished_run
  with open(os.path.join(output_dir, 'results.json')) as handle:
    saved = json.load(handle)
  assert saved == json.loads(json.dumps(results))
  for key in ('dataset', 'per_class', 'mean', 'std', 'generator_params',
              'discriminator_params', 'config', 'timings'):
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


def test_raw_scores_rebuild_the_auroc(finished_run):
  output_dir, results = finished_run
  for normal_class in (0, 7):
    folder = benchmark.class_dir(output_dir, normal_class)
    saved = np.load(os.path.join(folder, benchmark.SCORES_FILE))
    assert len(saved['scores']) == len(saved['labels']) == 540
    np.testing.assert_array_equal(saved['labels'],
                                  saved['test_classes'] != normal_class)
    assert metrics.auroc(saved['labels'], saved['scores']) == pytest.approx(
        results['per_class'][str(normal_class)])


def test_even_two_epochs_learn_something(finished_run):
  # Chance is 50. The worse class (always 7) varies with the CPU as much as
  # with the seed: seed 0 gave 83.5 here, 74.9 on another machine. Measured
  # min over classes 0 and 7, seeds 0-7, 1 | 2 threads: 83.5|83.6, 67.1|67.2,
  # 71.6|72.0, 62.3|62.3, 84.1|84.2, 74.6|74.6, 75.1|75.1, 73.8|73.7. The
  # same run untrained (lr 1e-12), seeds 0-5: 37.7, 45.5, 40.0, 39.0, 43.4,
  # 41.8; random scores: 50 +- 4 per class on these 540 test images.
  _, results = finished_run
  assert min(results['per_class'].values()) > 55


def test_table_lists_classes_and_the_paper_claim(finished_run):
  output_dir, _ = finished_run
  with open(os.path.join(output_dir, 'table.md')) as handle:
    table = handle.read()
  assert '| 0 | 0 |' in table and '| 7 | 7 |' in table
  assert 'mean ± SD' in table and 'Only 2 classes were run' in table


def test_rerun_skips_finished_classes(finished_run, caplog):
  output_dir, results = finished_run
  result_path = os.path.join(benchmark.class_dir(output_dir, 0), 'result.json')
  before = os.stat(result_path).st_mtime_ns
  caplog.set_level('INFO', logger='ganad_tf')
  again = benchmark.run_benchmark(_config(), output_dir, normal_classes=[0, 7])
  assert os.stat(result_path).st_mtime_ns == before
  assert again['per_class'] == results['per_class']
  assert '2 of 2 classes already finished' in caplog.text


def test_other_config_in_same_folder_is_refused(finished_run):
  output_dir, _ = finished_run
  with pytest.raises(OutputError, match='different configuration'):
    benchmark.run_benchmark(_config(epochs=3), output_dir, normal_classes=[0])


def test_truncated_result_is_not_trusted(finished_run, tmp_path):
  output_dir, _ = finished_run
  path = os.path.join(benchmark.class_dir(output_dir, 7), 'result.json')
  with open(path) as handle:
    text = handle.read()
  with open(path, 'w') as handle:
    handle.write(text[:len(text) // 2])
  assert benchmark.load_class_result(output_dir, 7, 'x') is None
  config = _config()
  assert benchmark.load_class_result(
      output_dir, 7, config_lib.fingerprint(config)) is None


def test_normal_class_out_of_range_fails_before_writing(tmp_path):
  output_dir = tmp_path / 'out'
  with pytest.raises(ConfigError, match='out of range for digits'):
    benchmark.run_benchmark(_config(), str(output_dir), normal_classes=[10])
  assert not (output_dir / 'config.json').exists()


def _no_data(session, config):
  raise AssertionError('loaded the data before checking the output folder')


def test_unwritable_output_dir(tmp_path, monkeypatch):
  if os.geteuid() == 0 and os.path.isdir('/proc/self'):
    # Root (CI) ignores permission bits, and so does os.access, but no one
    # can create folders in procfs: ensure_writable_dir refuses it, after
    # the data are loaded (the early check cannot see it).
    target = '/proc/ganad_tf_test_run'
  else:
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    target = str(locked / 'run')
    # The permission check comes first, before the (slow) data loading.
    monkeypatch.setattr(benchmark.Session, 'data', _no_data)
  with pytest.raises(OutputError, match='Cannot write to output folder '
                     + re.escape(repr(target))):
    benchmark.run_benchmark(_config(), target)


def test_output_dir_that_is_a_file(tmp_path):
  path = tmp_path / 'file'
  path.write_text('x')
  with pytest.raises(OutputError, match='Cannot write'):
    benchmark.run_benchmark(_config(), str(path))


def test_cli_runs_with_a_flagfile(tmp_path):
  flagfile = tmp_path / 'tiny.cfg'
  flagfile.write_text('--epochs=1\n--batch_size=32\n--log_every_secs=1000\n')
  output_dir = tmp_path / 'cli'
  completed = subprocess.run(
      [sys.executable, '-m', 'experiments.benchmark', '--dataset=digits',
       '--normal_classes=3', f'--output_dir={output_dir}',
       f'--flagfile={flagfile}'],
      cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
  assert completed.returncode == 0, completed.stderr[-3000:]
  assert '| 3 | 3 |' in completed.stdout
  saved = json.loads((output_dir / 'results.json').read_text())
  assert saved['config']['train']['batch_size'] == 32


def test_cli_rejects_bad_flags(tmp_path):
  completed = subprocess.run(
      [sys.executable, '-m', 'experiments.benchmark', '--dataset=digits',
       '--batch_size=0', f'--output_dir={tmp_path}'],
      cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
  assert completed.returncode != 0
  assert 'batch_size=0 must be a whole number >= 1' in completed.stderr
