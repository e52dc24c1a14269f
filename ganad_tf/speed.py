"""Throughput measurements: training steps and inference (paper Fig. 2).

Every number is measured in this process: compiled and eager variants of
the same training step run on the same data, so their ratio is not
confounded by other load. Times are the median of several repeats after a
warm-up (tracing is reported separately).
"""

import dataclasses
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from ganad_tf import config as config_lib
from ganad_tf import models
from ganad_tf.scoring import Scorer
from ganad_tf.trainer import Trainer


def _median_seconds(fn: Callable[[], Any], repeats: int) -> float:
  times = []
  for _ in range(repeats):
    started = time.perf_counter()
    fn()
    times.append(time.perf_counter() - started)
  return statistics.median(times)


@dataclasses.dataclass
class TrainingSpeed:
  variant: str
  batch_size: int
  images_per_second: float
  seconds_per_step: float
  trace_seconds: Optional[float] = None


def _random_images(count: int, shape: Sequence[int], seed: int = 0):
  rng = np.random.default_rng(seed)
  return rng.uniform(-1, 1, (count,) + tuple(shape)).astype(np.float32)


def training_speed(image_shape: Sequence[int], batch_size: int,
                   config: Optional[config_lib.ExperimentConfig] = None,
                   steps: int = 60, repeats: int = 3,
                   variants: Sequence[str] = ('compiled', 'per_step',
                                              'eager'),
                   dataset: str = 'fashion_mnist') -> List[TrainingSpeed]:
  """Images/s of the training step in several execution modes.

  Variants:
    compiled: `steps` steps inside one tf.function call (our default:
      steps_per_execution), in-graph sampling and augmentation.
    per_step: the same tf.function called once per step from Python (what
      a plain custom loop does).
    xla: the compiled loop with jit_compile=True.
    eager: the same Python step code run eagerly, op by op.

  The `trace_seconds` of compiled variants is the time of the first fit
  (tracing, graph optimisation and one short epoch).

  Args:
    image_shape: (H, W, C).
    batch_size: images per step.
    config: base config (defaults: the paper's losses and augmentation).
    steps: steps per timed repeat (eager uses a tenth, at least 2).
    repeats: timed repeats; the median is reported.
    variants: which of the above to measure.
    dataset: picks the paper's augmentation.
  """
  base = config or config_lib.ExperimentConfig()
  images = _random_images(max(4 * batch_size, 64), image_shape)
  trainers = {}

  def trainer_for(jit: bool) -> Trainer:
    # compiled, per_step and eager share one Trainer (one traced graph).
    if jit not in trainers:
      config = config_lib.replace(base, train={
          'batch_size': batch_size, 'epochs': 1, 'jit_compile': jit,
          'steps_per_execution': steps, 'log_every_secs': 1e9})
      trainer = Trainer(config, image_shape, dataset)
      started = time.perf_counter()
      trainer.fit(images, images)  # traces, and sets data and state
      trainers[jit] = (trainer, time.perf_counter() - started)
    return trainers[jit]

  results = []
  for variant in variants:
    trainer, setup_seconds = trainer_for(variant == 'xla')
    chunk = trainer._train_chunk  # pylint: disable=protected-access
    if variant == 'eager':
      count = max(2, steps // 10)
      eager = trainer._chunk  # pylint: disable=protected-access
      run = lambda: eager(tf.constant(count, tf.int64))
    elif variant == 'per_step':
      count = steps

      def run():
        for _ in range(count):
          chunk(tf.constant(1, tf.int64))
    else:
      count = steps
      run = lambda: chunk(tf.constant(count, tf.int64))
    run()  # warm-up
    seconds = _median_seconds(run, repeats)
    trace = setup_seconds if variant in ('compiled', 'xla') else None
    results.append(TrainingSpeed(variant, batch_size,
                                 count * batch_size / seconds,
                                 seconds / count, trace))
  return results


def inference_speed(image_shape: Sequence[int], num_images: int = 10_000,
                    repeats: int = 10, batch_size: int = 500,
                    config: Optional[config_lib.ExperimentConfig] = None
                    ) -> Dict[str, float]:
  """Paper Fig. 2's measure: scoring `num_images` images, `repeats` times.

  Returns the mean images/s over the repeats (the paper averages ten runs
  over the 10,000 CIFAR-10 test images) and the spread.
  """
  cfg = (config or config_lib.ExperimentConfig()).model
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


def parameter_counts(image_shape: Sequence[int]) -> Dict[str, int]:
  return {
      'generator': models.count_trainable_params(
          models.build_generator(image_shape)),
      'discriminator': models.count_trainable_params(
          models.build_discriminator(image_shape)),
  }
