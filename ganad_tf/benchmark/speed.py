"""Throughput of training and inference as they really run (paper Fig. 2).

Training is timed through `Trainer.fit` on groups of the benchmark's size
(6,000 normal + 6,000 anomaly images for (Fashion-)MNIST, 5,000 + 5,000 for
CIFAR-10) with a given schedule, so the numbers predict a benchmark's wall
clock: the first fit traces the graph, the second is timed. Inference is
the paper's Fig. 2 protocol (10,000 images, averaged over repeats).
Thread counts are per process and set by the caller (experiments.speed runs
each measurement in its own process).
"""

import time
from typing import Any, Dict, Optional, Sequence

import numpy as np

from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.core import models


def _random_images(count: int, shape: Sequence[int], seed: int = 0):
  rng = np.random.default_rng(seed)
  return rng.uniform(-1, 1, (count,) + tuple(shape)).astype(np.float32)


def training_speed(image_shape: Sequence[int], group_size: int,
                   config: Optional[BenchmarkConfig] = None,
                   dataset: str = 'fashion_mnist',
                   profile_dir: Optional[str] = None) -> Dict[str, Any]:
  """Images/s and steps/s of one epoch of `Trainer.fit`, after tracing.

  Args:
    image_shape: (H, W, C).
    group_size: images in each of the two groups (normal, anomaly).
    config: the schedule (batch size, augmentation...); epochs is set to 1.
    dataset: picks the paper's augmentation when config says 'paper'.
    profile_dir: if set, the timed epoch runs under the TensorFlow
      profiler, which writes its trace there (and slows the epoch down).
  """
  import tensorflow as tf
  from ganad_tf.core.trainer import Trainer
  config = config_lib.replace(config or BenchmarkConfig(),
                              train={'epochs': 1, 'min_steps': 0,
                                     'log_every_secs': 1e9})
  normal = _random_images(group_size, image_shape, seed=0)
  anomaly = _random_images(group_size, image_shape, seed=1)
  started = time.perf_counter()
  trainer = Trainer(config, image_shape, dataset)
  trainer.fit(normal, anomaly)
  first = time.perf_counter() - started
  if profile_dir:
    tf.profiler.experimental.start(profile_dir)
  try:
    result = trainer.fit(normal, anomaly)
  finally:
    if profile_dir:
      tf.profiler.experimental.stop()
  return {'images_per_second': result.images_per_second,
          'steps_per_second': result.steps / result.train_seconds,
          'steps': result.steps, 'batch_size': config.train.batch_size,
          'group_size': group_size,
          'first_fit_seconds_with_tracing': first}


def inference_speed(image_shape: Sequence[int], num_images: int = 10_000,
                    repeats: int = 10, batch_size: int = 500,
                    config: Optional[BenchmarkConfig] = None
                    ) -> Dict[str, float]:
  """Paper Fig. 2's measure: scoring `num_images` images, `repeats` times.

  Returns the mean images/s over the repeats (the paper averages ten runs
  over the 10,000 CIFAR-10 test images) and the spread.
  """
  from ganad_tf.core.scoring import Scorer
  cfg = (config or BenchmarkConfig()).model
  generator = models.build_generator(image_shape, cfg.base_channels, cfg.norm)
  images = _random_images(num_images, image_shape, seed=1)
  scorer = Scorer(generator, batch_size=batch_size)
  scorer.scores(images[:batch_size])  # trace
  rates = []
  for _ in range(repeats):
    started = time.perf_counter()
    scorer.scores(images)
    rates.append(num_images / (time.perf_counter() - started))
  return {'images_per_second': float(np.mean(rates)),
          'min_images_per_second': float(np.min(rates)),
          'max_images_per_second': float(np.max(rates)),
          'num_images': num_images, 'repeats': repeats,
          'batch_size': batch_size}
