"""Quiet by default: TensorFlow's own log lines only at --verbosity >= 1."""

import logging
import os
import re
import subprocess
import sys

import pytest

from ganad_tf import io_utils
from ganad_tf import logs
from ganad_tf.core import runtime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A TensorFlow C++ log line: severity, date, time, thread id, file:line.
_CPP_LINE = re.compile(r'[IWEF]\d{4} [\d:.]+ +(\d+) (\S+\.cc):\d+\]')


def _cpp_threads(stderr):
  """Thread ids of TensorFlow's C++ log lines (the main thread's is the
  process id)."""
  found = [_CPP_LINE.match(line) for line in stderr.splitlines()]
  # 'Could not find cuda drivers' is logged before absl::InitializeLog, where
  # TF_CPP_MIN_LOG_LEVEL has no effect (see ganad_tf/logs.py).
  return [m.group(1) for m in found
          if m and m.group(2) != 'cudart_stub.cc']


def _run_benchmark(output_dir, *extra, user_env=None):
  # As a user's shell: no TF_CPP_MIN_LOG_LEVEL or TF_ENABLE_ONEDNN_OPTS
  # (conftest sets both for pytest), plus `user_env`.
  env = {k: v for k, v in os.environ.items()
         if k not in ('TF_CPP_MIN_LOG_LEVEL', 'GANAD_TF_VERBOSITY',
                      runtime.ONEDNN_VARIABLE)}
  env.update(user_env or {})
  completed = subprocess.run(
      [sys.executable, '-m', 'experiments.benchmark', '--dataset=digits',
       '--normal_classes=3,5', '--jobs=2', '--epochs=1', '--batch_size=32',
       '--log_every_secs=1000', f'--output_dir={output_dir}', *extra],
      cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
      check=False)
  assert completed.returncode == 0, completed.stderr[-3000:]
  assert '| 3 | 3 |' in completed.stdout  # the results table
  return completed.stderr


@pytest.mark.slow
def test_default_run_shows_progress_and_results_but_no_tensorflow_lines(
    tmp_path):
  # --jobs=2: the worker processes, which train and checkpoint, are quiet too.
  stderr = _run_benchmark(tmp_path)
  assert 'Sharding callback' not in stderr  # one per checkpoint before
  assert 'oneDNN' not in stderr
  assert _cpp_threads(stderr) == []
  assert '[class 3: 3] step 8/8' in stderr  # our progress lines
  assert '[class 5: 5] AUROC' in stderr
  assert 'Running 2 worker processes' in stderr


def _numerics(output_dir):
  """The oneDNN state recorded by the parent and by each class's worker."""
  results = io_utils.read_json(os.path.join(output_dir, 'results.json'))
  found = {'parent': results['environment']['onednn']}
  for name, detail in results['per_class_detail'].items():
    found[name] = detail['numerics']['onednn']
  assert results['environment']['cpu_model']
  return found


@pytest.mark.slow
def test_onednn_follows_the_policy_and_a_users_setting_wins(tmp_path):
  # In the parent and both --jobs workers: the policy's choice reaches the
  # workers, and so does the user's.
  _run_benchmark(tmp_path / 'policy')
  wanted = runtime.ONEDNN_POLICY == '1'
  assert set(_numerics(tmp_path / 'policy').values()) == {wanted}
  user = '0' if wanted else '1'
  stderr = _run_benchmark(tmp_path / 'user',
                          user_env={runtime.ONEDNN_VARIABLE: user})
  assert set(_numerics(tmp_path / 'user').values()) == {not wanted}
  # TensorFlow prints this line at import whenever oneDNN is on; the user
  # turned it on themselves, so it is theirs to see.
  assert ('oneDNN custom operations are on' in stderr) == (user == '1')


@pytest.mark.slow
def test_verbosity_1_brings_tensorflow_lines_back(tmp_path):
  stderr = _run_benchmark(tmp_path, '-v', '1')
  # Only the two workers checkpoint: the parent's -v 1 reached them.
  assert stderr.count('Sharding callback') >= 2
  # E.g. cpu_feature_guard, cuInit, devices: from the parent and each worker.
  assert len(set(_cpp_threads(stderr))) >= 3
  assert '[class 3: 3] AUROC' in stderr


@pytest.mark.parametrize('argv,verbosity', [
    (['prog'], 0),
    (['prog', '--dataset', 'digits', '-v', '1'], 1),
    (['prog', '--verbosity=2', 'positional'], 2),
    (['prog', '-v=-1'], -1),
    (['prog', '-v', 'loud'], 0),  # absl rejects it later, with a message
])
def test_initial_verbosity(argv, verbosity, monkeypatch):
  monkeypatch.delenv('GANAD_TF_VERBOSITY', raising=False)
  assert logs.initial_verbosity(argv) == verbosity


def test_initial_verbosity_reads_flag_files(tmp_path, monkeypatch):
  monkeypatch.delenv('GANAD_TF_VERBOSITY', raising=False)
  flagfile = tmp_path / 'loud.cfg'
  flagfile.write_text('--epochs=1\n--verbosity=1\n')
  assert logs.initial_verbosity(['prog', f'--flagfile={flagfile}']) == 1


def test_initial_verbosity_of_a_worker_is_its_parents(monkeypatch):
  monkeypatch.setenv('GANAD_TF_VERBOSITY', '1')
  assert logs.initial_verbosity(['-c', '--multiprocessing-fork']) == 1


@pytest.fixture
def clean_state(monkeypatch):
  monkeypatch.delenv('TF_CPP_MIN_LOG_LEVEL', raising=False)
  monkeypatch.delenv('GANAD_TF_VERBOSITY', raising=False)
  monkeypatch.setattr(logs, '_cpp_level_set_here', False)
  monkeypatch.setattr(logs, '_py_levels_set_here', set())
  loggers = [logging.getLogger(name) for name in ('tensorflow', 'absl')]
  levels = [logger.level for logger in loggers]
  for logger in loggers:
    logger.setLevel(logging.NOTSET)
  yield loggers
  for logger, level in zip(loggers, levels):
    logger.setLevel(level)


def test_configure_quiets_tensorflow_and_passes_it_on(clean_state):
  logs.configure(0)
  assert os.environ['TF_CPP_MIN_LOG_LEVEL'] == '3'
  assert [logger.level for logger in clean_state] == [logging.WARNING] * 2
  assert os.environ['GANAD_TF_VERBOSITY'] == '0'
  logs.configure(1)  # absl parsed -v 1 after a wrong early guess
  assert 'TF_CPP_MIN_LOG_LEVEL' not in os.environ
  assert [logger.level for logger in clean_state] == [logging.NOTSET] * 2
  logs.configure()  # a worker: takes its parent's setting
  assert os.environ['GANAD_TF_VERBOSITY'] == '1'
  assert 'TF_CPP_MIN_LOG_LEVEL' not in os.environ


def test_configure_leaves_the_users_settings(clean_state, monkeypatch):
  monkeypatch.setenv('TF_CPP_MIN_LOG_LEVEL', '0')
  clean_state[0].setLevel(logging.INFO)  # --logger_levels=tensorflow:INFO
  logs.configure(0)
  assert os.environ['TF_CPP_MIN_LOG_LEVEL'] == '0'
  assert clean_state[0].level == logging.INFO
  assert clean_state[1].level == logging.WARNING
  logs.configure(1)
  assert os.environ['TF_CPP_MIN_LOG_LEVEL'] == '0'
  assert clean_state[0].level == logging.INFO
