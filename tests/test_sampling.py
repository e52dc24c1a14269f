"""k-means balanced sampling (paper Sec. 3.5)."""

import numpy as np
import pytest

from ganad_tf.data import sampling
from ganad_tf.errors import DatasetError


def test_proportional_quotas():
  np.testing.assert_array_equal(
      sampling.proportional_quotas([50, 30, 20], 10), [5, 3, 2])
  # Largest remainder, ties to the lower index.
  np.testing.assert_array_equal(
      sampling.proportional_quotas([1, 1, 1], 2), [1, 1, 0])
  # Never more than a group has, and never more than all there is.
  np.testing.assert_array_equal(
      sampling.proportional_quotas([2, 3], 100), [2, 3])
  quotas = sampling.proportional_quotas([7, 11, 13, 17], 23)
  assert quotas.sum() == 23


def _two_clusters(rng, sizes):
  """Images from two well-separated modes: dark and bright."""
  dark = -0.8 + 0.05 * rng.standard_normal((sizes[0], 8, 8, 1))
  bright = 0.8 + 0.05 * rng.standard_normal((sizes[1], 8, 8, 1))
  return np.concatenate([dark, bright]).astype(np.float32)


def test_kmeans_sample_keeps_cluster_proportions(rng):
  images = _two_clusters(rng, (80, 20))
  picked = sampling.kmeans_sample(images, 10, num_clusters=2, seed=0)
  assert len(picked) == len(set(picked.tolist())) == 10
  assert np.all(np.diff(picked) > 0)
  # 8 from the 80 dark images, 2 from the 20 bright ones.
  assert np.sum(picked < 80) == 8 and np.sum(picked >= 80) == 2


def test_kmeans_sample_keeps_rare_mode_that_random_sampling_can_miss(rng):
  images = _two_clusters(rng, (190, 10))
  picked = sampling.kmeans_sample(images, 20, num_clusters=2, seed=3)
  assert np.sum(picked >= 190) == 1


def test_kmeans_sample_all_when_count_exceeds_size(rng):
  images = _two_clusters(rng, (3, 2))
  np.testing.assert_array_equal(
      sampling.kmeans_sample(images, 10, num_clusters=4, seed=0), np.arange(5))


def test_kmeans_sample_is_seeded(rng):
  images = rng.uniform(-1, 1, (300, 8, 8, 1)).astype(np.float32)
  first = sampling.kmeans_sample(images, 30, num_clusters=5, seed=1)
  np.testing.assert_array_equal(
      first, sampling.kmeans_sample(images, 30, num_clusters=5, seed=1))
  assert not np.array_equal(
      first, sampling.kmeans_sample(images, 30, num_clusters=5, seed=2))


def test_sample_anomalies_is_balanced_across_classes(rng):
  labels = np.repeat(np.arange(10), [600] + [300] * 9)
  images = rng.uniform(-1, 1, (len(labels), 8, 8, 1)).astype(np.float32)
  picked = sampling.sample_anomalies(images, labels, normal_class=0,
                                     total=None, num_clusters=5, seed=0)
  # As many anomalies as normal images, 600 / 9 = 66 or 67 per class.
  assert len(picked) == 600
  counts = np.bincount(labels[picked], minlength=10)
  assert counts[0] == 0
  assert set(counts[1:].tolist()) == {66, 67}
  assert len(set(picked.tolist())) == len(picked)


def test_sample_anomalies_with_explicit_total(rng):
  labels = np.repeat(np.arange(3), 50)
  images = rng.uniform(-1, 1, (150, 8, 8, 1)).astype(np.float32)
  picked = sampling.sample_anomalies(images, labels, 2, total=11,
                                     num_clusters=3, seed=0)
  assert np.bincount(labels[picked], minlength=3).tolist() == [6, 5, 0]


def test_empty_class_is_reported():
  images = np.zeros((4, 8, 8, 1), np.float32)
  labels = np.array([0, 0, 1, 1])
  with pytest.raises(DatasetError, match='Class 5 has no training images'):
    sampling.balanced_sample(images, labels, {1: 1, 5: 1}, 2, 0)


def test_only_one_class_is_reported():
  with pytest.raises(DatasetError, match='no anomaly classes'):
    sampling.sample_anomalies(np.zeros((3, 8, 8, 1)), np.zeros(3, int), 0,
                              None, 2, 0)


def test_kmeans_features_pool_large_images():
  features = sampling.kmeans_features(np.ones((2, 128, 128, 3)))
  assert features.shape == (2, 16 * 16 * 3)


def test_equal_quotas_fill_small_clusters_and_spread_the_rest():
  assert sampling.equal_quotas([10, 10, 10], 9).tolist() == [3, 3, 3]
  assert sampling.equal_quotas([1, 10, 10], 9).tolist() == [1, 4, 4]
  assert sampling.equal_quotas([1, 2, 10], 9).tolist() == [1, 2, 6]
  assert sampling.equal_quotas([1, 2, 3], 9).tolist() == [1, 2, 3]
  assert sampling.equal_quotas([5, 5], 3).tolist() == [2, 1]


def test_kmeans_sample_with_equal_quotas_takes_more_from_a_small_cluster():
  rng = np.random.default_rng(0)
  # Two well-separated clusters: 90 dark and 10 bright images.
  dark = rng.uniform(0.0, 0.1, (90, 16, 16, 1))
  bright = rng.uniform(0.9, 1.0, (10, 16, 16, 1))
  images = np.concatenate([dark, bright]).astype(np.float32)
  for quotas, bright_expected in (('proportional', 2), ('equal', 10)):
    picked = sampling.kmeans_sample(images, 20, 2, seed=0, quotas=quotas)
    assert len(picked) == 20
    assert int(np.sum(picked >= 90)) == bright_expected, quotas


def test_the_configs_quota_names_are_the_samplers():
  from ganad_tf.benchmark.config import KMEANS_QUOTAS
  assert set(KMEANS_QUOTAS) == set(sampling.QUOTAS)
