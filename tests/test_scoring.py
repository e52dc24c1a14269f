"""Anomaly scores, error maps and batched inference."""

import keras
import numpy as np
import pytest

from ganad_tf.core import models, scoring
from ganad_tf.errors import ConfigError


def _pair(rng):
  """Two 4x4x2 images and reconstructions with known errors.

  Image 0: errors 0.8 at (0,0) and (0,1) in channel 0, 0.4 at (3,3) in
  channel 1. Image 1: 0.5 everywhere.
  """
  images = rng.uniform(-0.5, 0.5, (2, 4, 4, 2)).astype(np.float32)
  error = np.zeros_like(images)
  error[0, 0, 0, 0] = error[0, 0, 1, 0] = 0.8
  error[0, 3, 3, 1] = 0.4
  error[1] = 0.5
  return images, images + error


@pytest.mark.parametrize('kind,expected', [
    # Sums of |error| over the 32 values: 2.0 and 16.
    ('l1', [2.0 / 32, 0.5]),
    # Sums of error^2: 0.64 + 0.64 + 0.16 and 32 x 0.25.
    ('l2', [1.44 / 32, 0.25]),
    # Channel means 0.4, 0.4 | 0.2 in 2x2 patches at stride 2: the top-left
    # patch has 0.8 / 4 = 0.2, the bottom-right 0.05; the worst counts.
    ('patch', [0.2, 0.5]),
])
def test_score_batch_hand_computed(rng, kind, expected):
  images, reconstructions = _pair(rng)
  scores = scoring.score_batch(images, reconstructions, kind, patch_size=2,
                               patch_stride=2).numpy()
  np.testing.assert_allclose(scores, expected, rtol=1e-5)


def test_unknown_score_kind(rng):
  images, reconstructions = _pair(rng)
  with pytest.raises(ConfigError, match='Unknown score'):
    scoring.score_batch(images, reconstructions, 'max')
  with pytest.raises(ConfigError, match='Unknown score'):
    scoring.Scorer(_halving_generator(), kind='max')


def test_error_map_averages_channels(rng):
  images, reconstructions = _pair(rng)
  heat = scoring.error_map(images, reconstructions).numpy()
  expected = np.zeros((2, 4, 4), np.float32)
  expected[0, 0, 0] = expected[0, 0, 1] = 0.4
  expected[0, 3, 3] = 0.2
  expected[1] = 0.5
  assert heat.shape == (2, 4, 4)
  np.testing.assert_allclose(heat, expected, atol=1e-6)


def _halving_generator(size=8):
  """A generator whose reconstruction is x / 2, so |x - G(x)| = |x| / 2."""
  inputs = keras.Input((size, size, 1))
  return keras.Model(inputs, [keras.layers.Rescaling(0.5)(inputs),
                              keras.layers.GlobalAveragePooling2D()(inputs)])


def test_scorer_batches_match_hand_computed_scores(rng):
  # 7 images in batches of 3: the last batch is padded by 2 and cut back.
  images = rng.uniform(-1, 1, (7, 8, 8, 1)).astype(np.float32)
  generator = _halving_generator()
  l1 = scoring.Scorer(generator, batch_size=3).scores(images)
  np.testing.assert_allclose(l1, 0.5 * np.abs(images).mean(axis=(1, 2, 3)),
                             rtol=1e-5)
  l2 = scoring.Scorer(generator, batch_size=3, kind='l2')
  scores, reconstructions = l2.scores_and_reconstructions(images)
  np.testing.assert_allclose(scores, 0.25 * (images**2).mean(axis=(1, 2, 3)),
                             rtol=1e-5)
  np.testing.assert_allclose(reconstructions, 0.5 * images, rtol=1e-6)
  assert scoring.Scorer(generator).scores(images[:0]).shape == (0,)


def test_scorer_in_batches_equals_one_shot_scoring(rng):
  # The real generator: per-image inference, so batching must not matter.
  images = rng.uniform(-1, 1, (6, 32, 32, 1)).astype(np.float32)
  generator = models.build_generator((32, 32, 1))
  reconstructions, _ = generator(images, training=False)
  one_shot = scoring.score_batch(images, reconstructions, 'patch').numpy()
  batched = scoring.Scorer(generator, batch_size=4, kind='patch').scores(
      images)
  np.testing.assert_allclose(batched, one_shot, rtol=1e-5, atol=1e-7)


def test_weights_are_finite_spots_a_single_bad_weight():
  model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
  assert scoring.weights_are_finite(model)
  kernel = model.layers[0].kernel
  good = kernel.numpy()
  for bad in (np.nan, np.inf):
    values = good.copy()
    values[1, 0] = bad
    kernel.assign(values)
    assert not scoring.weights_are_finite(model)


def test_kind_scorers_score_a_split_by_every_kind(rng):
  from ganad_tf.benchmark.config import BenchmarkConfig
  from ganad_tf.core import config as config_lib
  config = config_lib.replace(BenchmarkConfig(), eval={'batch_size': 4})
  generator = models.build_generator((32, 32, 1), 8, 'instance')
  images = rng.uniform(-1, 1, (6, 32, 32, 1)).astype(np.float32)
  scorers = scoring.KindScorers(generator, config)
  scores = scorers.score_split(images)
  assert sorted(scores) == sorted(config_lib.SCORES)
  for kind, values in scores.items():
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values, scoring.Scorer(
        generator, 4, kind).scores(images).astype(np.float32))
  # AUROC per kind: labelling the three highest scores 1 gives 100.
  labels = np.zeros(6, np.int64)
  labels[np.argsort(scores['l1'])[3:]] = 1
  # Scores already computed for a kind are taken as they are.
  known = np.arange(6, dtype=np.float64)
  reused = scorers.score_split(images, known={'l1': known})
  np.testing.assert_array_equal(reused['l1'], known.astype(np.float32))
  assert reused['l1'].dtype == np.float32
  np.testing.assert_array_equal(reused['l2'], scores['l2'])
  aurocs = scorers.auroc_by_kind(images, labels)
  assert aurocs['l1'] == 100.0
  assert aurocs == scoring.aurocs(labels, scores)
