"""Process-wide settings made by entry points."""

import json
import os
import subprocess
import sys

import pytest
import tensorflow as tf

from ganad_tf.core import runtime


def test_threads_after_start_are_left_alone():
  # TensorFlow has run ops by now, so its thread pools are fixed; configure
  # must not fail (entry points may call it late), and must not change them.
  tf.constant(1.0) + 1.0
  before = tf.config.threading.get_intra_op_parallelism_threads()
  runtime.configure(deterministic_ops=True, threads=before + 1)
  assert tf.config.threading.get_intra_op_parallelism_threads() == before


def test_cpu_count_is_this_process_share():
  assert runtime.cpu_count() == len(os.sched_getaffinity(0))


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A fresh process: TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, at load.
_CHOOSE_THEN_LOAD = (
    'import json, sys\n'
    'from ganad_tf.core import runtime\n'
    'runtime.choose_onednn()\n'
    'import tensorflow\n'
    'print("NUMERICS " + json.dumps(runtime.numerics()))\n')


def _numerics_of_a_new_process(user_value=None):
  env = {k: v for k, v in os.environ.items() if k != runtime.ONEDNN_VARIABLE}
  if user_value is not None:
    env[runtime.ONEDNN_VARIABLE] = user_value
  completed = subprocess.run(
      [sys.executable, '-c', _CHOOSE_THEN_LOAD], cwd=ROOT,
      env=env, capture_output=True, text=True, timeout=300, check=True)
  return json.loads(completed.stdout.split('NUMERICS ', 1)[1])


@pytest.mark.slow
def test_choose_onednn_sets_the_policy_before_tensorflow_loads():
  found = _numerics_of_a_new_process()
  # On any x86 CPU, whatever TensorFlow's own default there.
  assert found['onednn'] is (runtime.ONEDNN_POLICY == '1')
  assert found[runtime.ONEDNN_VARIABLE] == runtime.ONEDNN_POLICY
  assert found['cpu_model']


@pytest.mark.slow
@pytest.mark.parametrize('user_value,enabled', [('0', False), ('1', True)])
def test_a_users_onednn_setting_wins(user_value, enabled):
  found = _numerics_of_a_new_process(user_value)
  assert found['onednn'] is enabled
  assert found[runtime.ONEDNN_VARIABLE] == user_value


def test_choose_onednn_after_tensorflow_loaded_changes_nothing(monkeypatch):
  # TensorFlow has loaded in this process: setting the variable now would
  # only mislead the record of what TensorFlow does.
  monkeypatch.delenv(runtime.ONEDNN_VARIABLE, raising=False)
  assert runtime.choose_onednn() is None
  assert runtime.ONEDNN_VARIABLE not in os.environ
