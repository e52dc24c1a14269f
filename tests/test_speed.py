"""Training and inference throughput, timed on a real fit and Scorer."""

import pytest

from ganad_tf.benchmark import speed
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib


def test_speed_times_a_real_fit_and_inference():
  config = config_lib.replace(BenchmarkConfig(), train={
      'batch_size': 4, 'augment': 'none'})
  result = speed.training_speed((32, 32, 1), group_size=8, config=config)
  # Two groups of 8 at batch 4: one epoch is 4 steps.
  assert result['steps'] == 4 and result['batch_size'] == 4
  assert result['images_per_second'] == pytest.approx(
      4 * result['steps_per_second'])
  inference = speed.inference_speed((32, 32, 1), num_images=64, repeats=2,
                                    batch_size=32)
  assert inference['num_images'] == 64
  assert (inference['min_images_per_second'] <=
          inference['images_per_second'] <=
          inference['max_images_per_second'])
