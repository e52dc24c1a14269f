"""The benchmark protocol: prepared data and the per-class split."""

import numpy as np
import pytest

from conftest import digits_config
from ganad_tf.benchmark import protocol
from ganad_tf.core import config as config_lib
from ganad_tf.errors import ConfigError


def _data(rng, per_class=20, classes=4, test_per_class=5):
  train_labels = np.repeat(np.arange(classes), per_class).astype(np.int64)
  test_labels = np.repeat(np.arange(classes), test_per_class).astype(np.int64)
  images = lambda n: rng.uniform(-1, 1, (n, 32, 32, 1)).astype(np.float32)
  return protocol.PreparedData(
      'toy', images(len(train_labels)), train_labels,
      images(len(test_labels)), test_labels,
      [f'c{i}' for i in range(classes)], 'test')


def test_split_takes_all_normals_and_as_many_anomalies(rng):
  data = _data(rng)
  config = config_lib.replace(digits_config(), data={'kmeans_k': 2})
  split = protocol.make_split(data, 1, config)
  assert len(split.train_normal) == len(split.train_anomaly) == 20
  np.testing.assert_array_equal(split.train_normal, data.train_images[20:40])
  assert 1 not in split.train_anomaly_classes
  # Sampled equally from the three other classes.
  _, counts = np.unique(split.train_anomaly_classes, return_counts=True)
  assert counts.max() - counts.min() <= 1
  np.testing.assert_array_equal(split.test_labels, data.test_labels != 1)
  np.testing.assert_array_equal(split.test_classes, data.test_labels)
  assert split.validation_images is None
  again = protocol.make_split(data, 1, config)
  np.testing.assert_array_equal(again.train_anomaly, split.train_anomaly)


def test_split_labels_validation_images_by_normal_class(rng):
  data = _data(rng)
  data.validation_images = data.test_images[:8]
  data.validation_labels = data.test_labels[:8]
  split = protocol.make_split(data, 0, digits_config())
  np.testing.assert_array_equal(split.validation_labels,
                                data.validation_labels != 0)


def test_check_normal_classes():
  assert protocol.check_normal_classes(None, 3, 'toy') == [0, 1, 2]
  assert protocol.check_normal_classes([], 3, 'toy') == [0, 1, 2]
  assert protocol.check_normal_classes([2, 0], 3, 'toy') == [2, 0]
  with pytest.raises(ConfigError, match='out of range for toy'):
    protocol.check_normal_classes([3], 3, 'toy')
  with pytest.raises(ConfigError, match='twice'):
    protocol.check_normal_classes([1, 1], 3, 'toy')


def test_prepared_digits_are_floats_with_a_held_out_split():
  config = config_lib.replace(digits_config(),
                              data={'validation_fraction': 0.1})
  data = protocol.prepare_data(config)
  assert data.name == 'digits' and data.num_classes == 10
  for images in (data.train_images, data.test_images,
                 data.validation_images):
    assert images.dtype == np.float32 and images.shape[1:] == (32, 32, 1)
    assert images.min() >= -1 and images.max() <= 1
  assert len(data.validation_images) == len(data.validation_labels) > 0
  assert set(np.unique(data.validation_labels)) == set(range(10))
  whole = protocol.prepare_data(digits_config())
  assert whole.validation_images is None
  assert len(whole.train_images) == (len(data.train_images) +
                                     len(data.validation_images))


def test_train_per_class_cuts_only_the_training_split():
  whole = protocol.prepare_data(digits_config())
  cut = protocol.prepare_data(config_lib.replace(
      digits_config(), data={'train_per_class': 20,
                             'validation_fraction': 0.25}))
  assert np.bincount(cut.train_labels).tolist() == [15] * 10
  assert np.bincount(cut.validation_labels).tolist() == [5] * 10
  np.testing.assert_array_equal(cut.test_images, whole.test_images)
