"""Worker processes: failures are reported; orphans stop themselves.

(tests/test_reliability.py kills a real two-worker benchmark.)
"""

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import digits_config
from ganad_tf.benchmark import parallel
from ganad_tf.core import config as config_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_worker_exits_when_its_parent_is_gone():
  # The "parent" pid is not this process's parent, as after the parent died.
  script = textwrap.dedent('''
      import time
      from ganad_tf.benchmark import parallel
      parallel._exit_with_parent(parent_pid=-1, poll_seconds=0.05)
      time.sleep(60)
  ''')
  completed = subprocess.run([sys.executable, '-c', script], cwd=ROOT,
                             timeout=120, check=False, capture_output=True)
  assert completed.returncode == 3, completed.stderr[-2000:]


@pytest.mark.slow
def test_failed_worker_is_reported(tmp_path):
  # MNIST from an empty folder: the worker fails while loading the data.
  config = config_lib.replace(digits_config(), data={
      'dataset': 'mnist', 'data_dir': str(tmp_path / 'empty')})
  with pytest.raises(RuntimeError, match=r'ganad-worker-0 \(exit code 1\); '
                     'their error is logged above'):
    parallel.run_tasks([parallel.Task(config, str(tmp_path / 'run'), 0)],
                       jobs=1)
  assert not (tmp_path / 'run').exists()
