"""The experiments.benchmark command line, end to end on digits."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
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
  # The command is recorded as the module that ran, with its flags.
  assert saved['command'].split()[1:3] == ['-m', 'experiments.benchmark']
  assert '--normal_classes=3' in saved['command']


@pytest.mark.slow
def test_cli_rejects_bad_flags(tmp_path):
  completed = subprocess.run(
      [sys.executable, '-m', 'experiments.benchmark', '--dataset=digits',
       '--batch_size=0', f'--output_dir={tmp_path}'],
      cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
  assert completed.returncode != 0
  assert 'batch_size=0 must be a whole number >= 1' in completed.stderr
