"""Shared pytest setup: quiet TensorFlow, small deterministic data."""

import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import numpy as np  # pylint: disable=g-import-not-at-top
import pytest  # pylint: disable=g-import-not-at-top

from ganad_tf.core import runtime  # pylint: disable=g-import-not-at-top

# What every entry point does, before TensorFlow loads: oneDNN by the
# package's policy unless TF_ENABLE_ONEDNN_OPTS is set (CI runs the
# float-order-sensitive tests once more with the other setting), so the
# tests and the subprocesses they start take the same kernels on any CPU.
runtime.choose_onednn()
# And equal seeds give bit-identical runs.
runtime.configure(deterministic_ops=True)


@pytest.fixture
def rng():
  return np.random.default_rng(0)


def blob_images(rng, count, size=32, channels=1, centre=(16, 16),
                radius=6.0, noise=0.05):
  """Images of a bright disc on a dark background, with pixel noise."""
  yy, xx = np.mgrid[:size, :size]
  disc = ((yy - centre[0])**2 + (xx - centre[1])**2 <= radius**2)
  base = np.where(disc, 0.8, -0.8)[None, :, :, None]
  images = base + noise * rng.standard_normal((count, size, size, channels))
  return np.clip(images, -1, 1).astype(np.float32)


def digits_config(**train):
  """A tiny but real digits configuration for end-to-end tests."""
  from ganad_tf.benchmark.config import BenchmarkConfig
  from ganad_tf.core import config as config_lib
  settings = dict(epochs=2, batch_size=16, learning_rate=1e-3,
                  steps_per_execution=16, log_every_secs=1000)
  settings.update(train)
  return config_lib.replace(BenchmarkConfig(), train=settings,
                            data={'dataset': 'digits'})


@pytest.fixture(scope='session')
def finished_run(tmp_path_factory):
  """A finished two-class digits benchmark run: (output_dir, results)."""
  from ganad_tf.benchmark import runner as benchmark
  output_dir = str(tmp_path_factory.mktemp('digits'))
  results = benchmark.run_benchmark(digits_config(), output_dir,
                                    normal_classes=[0, 7], command='test')
  return output_dir, results


# Images per kind in the small synthetic sets of the test_synthetic_* files.
SMALL_SYNTHETIC_COUNTS = {'normal': 3, 'scratch': 2, 'stamped': 2, 'stain': 2}


def small_synthetic(**overrides):
  """A 256x128 SyntheticConfig of SMALL_SYNTHETIC_COUNTS images, seed 7."""
  from ganad_tf.data.synthetic.config import SyntheticConfig
  values = dict(width=256, height=128, counts=dict(SMALL_SYNTHETIC_COUNTS),
                seed=7)
  values.update(overrides)
  return SyntheticConfig(**values)
