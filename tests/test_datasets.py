"""Tests for ganad_tf.data.datasets: load_dataset, LabeledImages, preprocess.

The file readers have their own tests (test_local_files.py,
test_tfds_loader.py); digits ships with scikit-learn, so it runs offline.
"""

import os

import numpy as np
import pytest

from ganad_tf.data import datasets
from ganad_tf.data import registry
from ganad_tf.errors import DatasetError, InputError

FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'


def test_unknown_dataset_lists_choices():
  with pytest.raises(DatasetError) as info:
    datasets.load_dataset('svhn')
  for name in registry.NAMES:
    assert name in str(info.value)


# ----------------------------------------------------------------------------
# digits


def test_digits_split():
  data = datasets.load_dataset('digits', data_dir='/ignored')
  assert data.source == 'sklearn'
  assert data.train_images.shape == (1257, 8, 8, 1)
  assert data.test_images.shape == (540, 8, 8, 1)
  assert data.train_images.dtype == np.uint8
  assert data.train_images.max() == 255 and data.train_images.min() == 0
  assert data.class_names == [str(i) for i in range(10)]
  train_counts = np.bincount(data.train_labels, minlength=10)
  test_counts = np.bincount(data.test_labels, minlength=10)
  assert (train_counts > 0).all() and (test_counts > 0).all()
  # Stratified: each class is ~30% test.
  fraction = test_counts / (train_counts + test_counts)
  assert np.all(np.abs(fraction - 0.3) < 0.02)
  again = datasets.load_dataset('digits')
  np.testing.assert_array_equal(data.train_images, again.train_images)
  np.testing.assert_array_equal(data.test_labels, again.test_labels)


def _tiny(train_labels, test_labels, shape=(4, 4, 1)):
  return datasets.LabeledImages(
      name='digits',
      train_images=np.zeros((len(train_labels),) + shape, np.uint8),
      train_labels=np.asarray(train_labels, np.int64),
      test_images=np.zeros((len(test_labels),) + shape, np.uint8),
      test_labels=np.asarray(test_labels, np.int64),
      class_names=['a', 'b'], source='test')


def test_check_splits():
  datasets._check_splits(_tiny([0, 1], [1, 0]))
  with pytest.raises(DatasetError, match=r'no images of class 1 \(b\)'):
    datasets._check_splits(_tiny([0, 1], [0, 0]))
  with pytest.raises(DatasetError, match=r'labels span 0\.\.2'):
    datasets._check_splits(_tiny([0, 1, 2], [0, 1]))
  data = _tiny([0, 1], [0, 1])
  data.test_images = data.test_images[..., 0]
  with pytest.raises(DatasetError, match='not the canonical ones'):
    datasets._check_splits(data)
  data = _tiny([0, 1], [0, 1])
  data.train_images = data.train_images.astype(np.float32)
  with pytest.raises(DatasetError, match='uint8.*not the canonical ones'):
    datasets._check_splits(data)


# ----------------------------------------------------------------------------
# preprocess_images


def test_preprocess_no_resize_exact():
  images = np.array([0, 255, 127, 128], np.uint8).reshape(1, 2, 2, 1)
  out = datasets.preprocess_images(images, 2)
  assert out.dtype == np.float32
  assert out[0, 0, 0, 0] == -1.0
  assert out[0, 0, 1, 0] == 1.0
  assert -1 < out[0, 1, 0, 0] < 0 < out[0, 1, 1, 0] < 1


@pytest.mark.parametrize('shape,channels', [((5, 28, 28), 1),
                                            ((5, 28, 28, 1), 1),
                                            ((5, 8, 8, 1), 1),
                                            ((3, 32, 32, 3), 3),
                                            ((3, 64, 64, 3), 3)])
def test_preprocess_resize(shape, channels):
  rng = np.random.default_rng(0)
  images = rng.integers(0, 256, shape, np.uint8)
  images[0] = 255
  images[1] = 0
  out = datasets.preprocess_images(images, 32)
  assert out.shape == (shape[0], 32, 32, channels)
  assert out.dtype == np.float32
  assert out.min() >= -1.0 and out.max() <= 1.0
  np.testing.assert_allclose(out[0], 1.0, atol=1e-6)
  np.testing.assert_allclose(out[1], -1.0, atol=1e-6)


def test_preprocess_chunks_match_single_pass(monkeypatch):
  images = np.random.default_rng(1).integers(0, 256, (7, 8, 8, 1), np.uint8)
  whole = datasets.preprocess_images(images, 32)
  monkeypatch.setattr(datasets, '_RESIZE_CHUNK', 3)
  np.testing.assert_allclose(datasets.preprocess_images(images, 32), whole)


@pytest.mark.parametrize('images,size,match', [
    (np.zeros((4, 4), np.uint8), 32, 'N, H, W'),
    (np.zeros((1, 2, 4, 4, 1), np.uint8), 32, 'N, H, W'),
    (np.zeros((1, 4, 4, 1), np.float32), 32, 'uint8'),
    (np.zeros((1, 4, 4, 1), np.uint8), 0, 'image_size'),
    ([[[0]]], 32, 'numpy array'),
])
def test_preprocess_bad_input(images, size, match):
  with pytest.raises(InputError, match=match):
    datasets.preprocess_images(images, size)


# ----------------------------------------------------------------------------
# Real Fashion-MNIST (Debian package dataset-fashion-mnist)


@pytest.mark.skipif(not os.path.isdir(FASHION_MNIST_DIR),
                    reason='apt-get install dataset-fashion-mnist')
def test_real_fashion_mnist():
  data = datasets.load_dataset('fashion_mnist', data_dir=FASHION_MNIST_DIR)
  assert data.train_images.shape == (60000, 28, 28, 1)
  assert data.test_images.shape == (10000, 28, 28, 1)
  assert data.num_classes == 10
  np.testing.assert_array_equal(np.bincount(data.train_labels), [6000] * 10)
  np.testing.assert_array_equal(np.bincount(data.test_labels), [1000] * 10)
