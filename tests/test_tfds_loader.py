"""Tests for ganad_tf.data.tfds_loader, mocked or offline: no downloads."""

import socket
import time

import numpy as np
import pytest

from ganad_tf.data import datasets
from ganad_tf.data import registry
from ganad_tf.data import tfds_loader
from ganad_tf.errors import DatasetError


def _no_network(*args, **kwargs):
  raise OSError('network disabled by the test')


@pytest.mark.parametrize('name,num_examples,num_classes,shape', [
    ('mnist', 100, 10, (28, 28, 1)),
    ('cifar100', 200, 20, (32, 32, 3)),
])
def test_tfds_mock_data(tmp_path, monkeypatch, name, num_examples,
                        num_classes, shape):
  tfds = pytest.importorskip('tensorflow_datasets')
  # Mocked loads must never probe or touch the network.
  monkeypatch.setattr(socket, 'create_connection', _no_network)
  with tfds.testing.mock_data(num_examples=num_examples):
    data = datasets.load_dataset(name, tfds_data_dir=str(tmp_path))
  assert data.source == 'tfds'
  assert data.num_classes == num_classes
  for images, labels in ((data.train_images, data.train_labels),
                         (data.test_images, data.test_labels)):
    assert images.shape == (num_examples,) + shape
    assert images.dtype == np.uint8
    assert labels.dtype == np.int64
    assert labels.min() >= 0 and labels.max() < num_classes
  # Every class occurs, so the coarse labels (0..19), not fine, were used.
  assert set(data.train_labels.tolist()) == set(range(num_classes))


def test_tfds_offline_fails_fast(tmp_path, monkeypatch):
  pytest.importorskip('tensorflow_datasets')
  monkeypatch.setattr(socket, 'create_connection', _no_network)
  start = time.monotonic()
  with pytest.raises(DatasetError) as info:
    datasets.load_dataset('mnist', tfds_data_dir=str(tmp_path))
  assert time.monotonic() - start < 30
  message = str(info.value)
  assert "'mnist'" in message
  assert 'could not be downloaded' in message
  assert 'storage.googleapis.com:443' in message
  assert '--data_dir' in message
  assert 'train-images-idx3-ubyte.gz' in message


def test_tfds_offline_fashion_mnist_mentions_debian_package(tmp_path,
                                                            monkeypatch):
  pytest.importorskip('tensorflow_datasets')
  monkeypatch.setattr(socket, 'create_connection', _no_network)
  with pytest.raises(DatasetError) as info:
    datasets.load_dataset('fashion_mnist', tfds_data_dir=str(tmp_path))
  message = str(info.value)
  assert 'apt-get install dataset-fashion-mnist' in message
  assert '--data_dir=/usr/share/datasets/fashion-mnist' in message


@pytest.mark.parametrize('error,match', [
    (ModuleNotFoundError("No module named 'importlib_resources'",
                         name='importlib_resources'),
     'pip install importlib_resources'),
    (RuntimeError('checksum mismatch'), 'RuntimeError: checksum mismatch'),
])
def test_tfds_download_failure_is_wrapped(tmp_path, monkeypatch, error,
                                          match):
  tfds = pytest.importorskip('tensorflow_datasets')
  monkeypatch.setattr(tfds_loader, '_unreachable_hosts', lambda *args: [])

  def fail(*args, **kwargs):
    raise error

  monkeypatch.setattr(tfds.core.DatasetBuilder, 'download_and_prepare', fail)
  with pytest.raises(DatasetError, match=match) as info:
    datasets.load_dataset('cifar10', tfds_data_dir=str(tmp_path))
  assert info.value.__cause__ is error
  assert 'cifar-10-python.tar.gz' in str(info.value)


def test_probe_bounds_hanging_name_lookup(monkeypatch):
  def hang(*args, **kwargs):
    time.sleep(5)
    raise OSError('too late')

  monkeypatch.setattr(socket, 'create_connection', hang)
  start = time.monotonic()
  unreachable = tfds_loader._unreachable_hosts(['https://example.org/x'], 0.2)
  assert time.monotonic() - start < 2
  assert unreachable == ['example.org:443 (no answer within 0.2 s)']


def test_every_tfds_dataset_has_a_download_url():
  in_tfds = {name for name, info in registry.DATASETS.items() if info.in_tfds}
  assert set(tfds_loader.TFDS_DOWNLOAD_URLS) == in_tfds
