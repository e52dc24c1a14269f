"""The recorded command line reruns the command that was run."""

import os
import shlex
import subprocess
import sys
import types

import pytest

from ganad_tf.command import command_line

PYTHON = os.path.basename(sys.executable)


@pytest.fixture
def run_as_module(monkeypatch):
  """Makes this process look like `python -m experiments.benchmark`."""
  main = types.SimpleNamespace(
      __spec__=types.SimpleNamespace(name='experiments.benchmark'))
  monkeypatch.setitem(sys.modules, '__main__', main)
  return lambda *args: monkeypatch.setattr(
      sys, 'argv', ['/repo/experiments/benchmark.py', *args])


def test_plain_flags_are_recorded_as_typed(run_as_module):
  # The committed results store lines like this; they must not change.
  run_as_module('--dataset=fashion_mnist', '--normal_classes=2,4,6',
                '--data_dir=/usr/share/datasets/fashion-mnist')
  assert command_line() == (
      f'{PYTHON} -m experiments.benchmark --dataset=fashion_mnist '
      '--normal_classes=2,4,6 --data_dir=/usr/share/datasets/fashion-mnist')


def test_a_shell_splits_the_command_back_into_the_arguments(run_as_module,
                                                            tmp_path):
  args = ['--output_dir=/tmp/my runs', "--note=it's", '--images=*.png',
          '--label=$HOME', '']
  run_as_module(*args)
  command = command_line()
  expected = [PYTHON, '-m', 'experiments.benchmark', *args]
  assert shlex.split(command) == expected
  # A real shell agrees: no splitting on spaces, no $HOME, and no globbing
  # (a.png is there to be matched).
  (tmp_path / 'a.png').write_bytes(b'')
  printed = subprocess.run(['sh', '-c', 'printf "%s\\n" ' + command],
                           capture_output=True, text=True, check=True,
                           cwd=tmp_path).stdout
  assert printed.split('\n')[:-1] == expected


def test_a_script_run_by_path_is_recorded_as_such(monkeypatch):
  # `python -m path/to/script.py` would not rerun it.
  monkeypatch.setitem(sys.modules, '__main__',
                      types.SimpleNamespace(__spec__=None))
  monkeypatch.setattr(sys, 'argv', ['tools/my script.py', '--epochs=3'])
  assert command_line() == f"{PYTHON} 'tools/my script.py' --epochs=3"
