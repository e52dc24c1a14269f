"""Tests for the one validation split."""

import numpy as np
import pytest

from ganad_tf.data import splits
from ganad_tf.errors import ConfigError


def test_takes_a_share_of_every_label():
  labels = np.repeat(np.arange(3), [10, 20, 30])
  mask = splits.validation_mask(labels, 0.1, seed=0)
  assert np.bincount(labels[mask]).tolist() == [1, 2, 3]


def test_is_seeded_and_keeps_rare_labels_in_training():
  labels = np.array([0] * 20 + [1] * 6 + [2] * 2 + [3])
  held = splits.validation_mask(labels, 0.2, seed=0)
  assert [int(held[labels == k].sum()) for k in range(4)] == [4, 1, 1, 0]
  np.testing.assert_array_equal(held, splits.validation_mask(labels, 0.2, 0))
  assert not np.array_equal(held, splits.validation_mask(labels, 0.2, 1))
  # Never the whole label, so every label with >= 2 examples is trained on.
  assert splits.validation_mask(np.array([1, 1]), 0.9, 0).sum() == 1
  assert not splits.validation_mask(labels, 0.0, 0).any()


def test_refuses_a_fraction_outside_0_1():
  with pytest.raises(ConfigError, match='validation_fraction'):
    splits.validation_mask(np.zeros(4), 1.0, 0)


def test_per_label_subset_caps_each_label_and_is_seeded():
  labels = np.repeat(np.arange(3), [10, 3, 30])
  kept = splits.per_label_subset(labels, 5, seed=0)
  assert np.bincount(labels[kept]).tolist() == [5, 3, 5]
  assert np.all(np.diff(kept) > 0)
  np.testing.assert_array_equal(kept, splits.per_label_subset(labels, 5, 0))
  assert not np.array_equal(kept, splits.per_label_subset(labels, 5, 1))
  with pytest.raises(ConfigError, match='train_per_class'):
    splits.per_label_subset(labels, 0, 0)


def test_diagnostic_sample_is_fixed_and_capped():
  first = splits.diagnostic_sample([1500, 700], seed=5)
  again = splits.diagnostic_sample([1500, 700], seed=5)
  assert [len(p) for p in first] == [1000, 700]
  for a, b in zip(first, again):
    np.testing.assert_array_equal(a, b)
    assert np.all(np.diff(a) > 0)  # sorted, no repeats
  assert not np.array_equal(first[0],
                            splits.diagnostic_sample([1500, 700], 6)[0])
