"""MirroredStrategy on two logical CPU devices gives the one-device result."""

import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Logical devices must be set up before TensorFlow initialises, so the
# comparison runs in a fresh process.
SCRIPT = textwrap.dedent('''
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices('CPU')[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from ganad_tf.benchmark.config import BenchmarkConfig
    from ganad_tf.core import config as config_lib
    from ganad_tf.core.trainer import Trainer

    BATCH = 8
    rng = np.random.default_rng(0)
    normal = rng.uniform(-1, 1, (BATCH, 32, 32, 1)).astype(np.float32)
    anomaly = rng.uniform(-1, 1, (BATCH, 32, 32, 1)).astype(np.float32)
    # One epoch of two steps (one batch from each group), no augmentation.
    # A large Adam epsilon makes each update proportional to the gradient
    # instead of to its sign, so float-order noise in near-zero gradients
    # cannot flip updates, while a sum-instead-of-mean bug would double them.
    config = config_lib.replace(BenchmarkConfig(), train=dict(
        epochs=1, batch_size=BATCH, learning_rate=0.05, adam_epsilon=1.0,
        augment='none', steps_per_execution=2, log_every_secs=1e9))
    single = Trainer(config, (32, 32, 1), 'digits')
    single.fit(normal, anomaly)
    strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
    assert strategy.num_replicas_in_sync == 2
    mirrored = Trainer(config, (32, 32, 1), 'digits', strategy=strategy)
    result = mirrored.fit(normal, anomaly)
    assert result.steps == 2, result.steps
    assert all(np.isfinite(v) for v in result.final_losses.values())
    worst = 0.0
    for a, b in zip(single.generator.get_weights(),
                    mirrored.generator.get_weights()):
      worst = max(worst, float(np.max(np.abs(a - b))))
    changed = max(float(np.max(np.abs(a - b))) for a, b in zip(
        single.initial_weights(0)[0], single.generator.get_weights()))
    # Same global batches, gradients averaged over replicas: the two differ
    # only in float summation order (the replicas' halves, and kernels that
    # block a batch of 4 otherwise than one of 8, as oneDNN's do). A sum of
    # n float32 terms in another order moves by at most about n units of
    # roundoff relative to its size; the longest sums here are the weight
    # gradients of the 16x16 layers, over BATCH * 16 * 16 terms. Twice that
    # per step covers the forward pass feeding the backward one.
    roundoff = float(np.finfo(np.float32).eps) / 2
    bound = 2 * result.steps * (BATCH * 16 * 16) * roundoff
    print('max weight difference', worst, 'max change', changed,
          'ratio', worst / changed, 'bound', bound)
    assert changed > 1e-5 and worst < bound * changed, (worst, changed)
    try:
      Trainer(config_lib.replace(config, train={'batch_size': 7}),
              (32, 32, 1), strategy=strategy)
    except ValueError as error:
      assert 'not divisible' in str(error)
    else:
      raise AssertionError('odd batch accepted')
    print('OK')
''')


@pytest.mark.slow
def test_mirrored_strategy_on_two_cpu_devices_matches_one_device():
  completed = subprocess.run([sys.executable, '-c', SCRIPT], cwd=ROOT,
                             capture_output=True, text=True, timeout=600,
                             check=False)
  assert completed.returncode == 0, (completed.stdout[-2000:] +
                                     completed.stderr[-4000:])
  assert 'OK' in completed.stdout
