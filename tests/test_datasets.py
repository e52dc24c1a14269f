"""Tests for ganad_tf.data.datasets on tiny files the tests write themselves."""

import gzip
import io
import os
import pickle
import socket
import tarfile
import time

import numpy as np
import pytest

from ganad_tf.data import datasets
from ganad_tf.errors import DatasetError, InputError

FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'


def _idx_bytes(array: np.ndarray) -> bytes:
  magic = 2051 if array.ndim == 3 else 2049
  header = magic.to_bytes(4, 'big') + b''.join(
      dim.to_bytes(4, 'big') for dim in array.shape)
  return header + array.astype(np.uint8).tobytes()


def _write_idx_dir(folder, compress=True, num_train=20, num_test=10, seed=0):
  """Writes the four MNIST IDX files; returns the arrays written."""
  rng = np.random.default_rng(seed)
  arrays = {
      'train_images': rng.integers(0, 256, (num_train, 28, 28), np.uint8),
      'train_labels': np.arange(num_train) % 10,
      'test_images': rng.integers(0, 256, (num_test, 28, 28), np.uint8),
      'test_labels': np.arange(num_test) % 10,
  }
  os.makedirs(folder, exist_ok=True)
  for key, stem in datasets.IDX_FILES.items():
    data = _idx_bytes(arrays[key])
    if compress:
      with gzip.open(os.path.join(folder, stem + '.gz'), 'wb') as handle:
        handle.write(data)
    else:
      with open(os.path.join(folder, stem), 'wb') as handle:
        handle.write(data)
  return arrays


@pytest.mark.parametrize('compress', [True, False])
def test_idx_loader_round_trips(tmp_path, compress):
  arrays = _write_idx_dir(str(tmp_path), compress=compress)
  data = datasets.load_dataset('mnist', data_dir=str(tmp_path))
  assert data.name == 'mnist'
  assert data.source == f'local:{tmp_path}'
  assert data.train_images.shape == (20, 28, 28, 1)
  assert data.test_images.shape == (10, 28, 28, 1)
  assert data.train_images.dtype == np.uint8
  assert data.train_labels.dtype == np.int64
  np.testing.assert_array_equal(data.train_images[..., 0],
                                arrays['train_images'])
  np.testing.assert_array_equal(data.test_images[..., 0],
                                arrays['test_images'])
  np.testing.assert_array_equal(data.train_labels, arrays['train_labels'])
  np.testing.assert_array_equal(data.test_labels, arrays['test_labels'])
  assert data.num_classes == 10


def test_idx_loader_fashion_mnist_class_names(tmp_path):
  _write_idx_dir(str(tmp_path))
  data = datasets.load_dataset('fashion-mnist', data_dir=str(tmp_path))
  assert data.name == 'fashion_mnist'
  assert data.class_names[0] == 'T-shirt/top'
  assert data.class_names[9] == 'Ankle boot'


def test_idx_truncated_gz_names_file(tmp_path):
  _write_idx_dir(str(tmp_path))
  path = os.path.join(str(tmp_path), 'train-images-idx3-ubyte.gz')
  with open(path, 'rb') as handle:
    content = handle.read()
  with open(path, 'wb') as handle:
    handle.write(content[:len(content) // 2])
  with pytest.raises(DatasetError, match='train-images-idx3-ubyte.gz'):
    datasets.load_dataset('mnist', data_dir=str(tmp_path))


def test_idx_not_gzip_names_file(tmp_path):
  _write_idx_dir(str(tmp_path))
  path = os.path.join(str(tmp_path), 't10k-labels-idx1-ubyte.gz')
  with open(path, 'wb') as handle:
    handle.write(b'this is not gzip data at all')
  with pytest.raises(DatasetError, match='t10k-labels-idx1-ubyte.gz'):
    datasets.load_dataset('mnist', data_dir=str(tmp_path))


def test_idx_wrong_magic(tmp_path):
  _write_idx_dir(str(tmp_path), compress=False)
  # Labels where images belong: magic 2049 instead of 2051.
  path = os.path.join(str(tmp_path), 'train-images-idx3-ubyte')
  with open(path, 'wb') as handle:
    handle.write(_idx_bytes(np.zeros(20, np.uint8)))
  with pytest.raises(DatasetError, match='magic number 2049'):
    datasets.load_dataset('mnist', data_dir=str(tmp_path))


def test_idx_size_mismatch(tmp_path):
  _write_idx_dir(str(tmp_path), compress=False)
  path = os.path.join(str(tmp_path), 'train-images-idx3-ubyte')
  with open(path, 'ab') as handle:
    handle.write(b'\0' * 7)
  with pytest.raises(DatasetError, match='promises'):
    datasets.load_dataset('mnist', data_dir=str(tmp_path))


def test_idx_image_label_count_mismatch(tmp_path):
  _write_idx_dir(str(tmp_path), compress=False)
  path = os.path.join(str(tmp_path), 'train-labels-idx1-ubyte')
  with open(path, 'wb') as handle:
    handle.write(_idx_bytes(np.arange(19) % 10))
  with pytest.raises(DatasetError, match='20 images .* 19 labels'):
    datasets.load_dataset('mnist', data_dir=str(tmp_path))


def test_idx_missing_file_lists_expected_names(tmp_path):
  _write_idx_dir(str(tmp_path))
  os.remove(os.path.join(str(tmp_path), 't10k-images-idx3-ubyte.gz'))
  with pytest.raises(DatasetError) as info:
    datasets.load_dataset('fashion_mnist', data_dir=str(tmp_path))
  message = str(info.value)
  assert '--data_dir' in message
  for stem in datasets.IDX_FILES.values():
    assert stem + '.gz' in message
  assert 'apt-get install dataset-fashion-mnist' in message


def test_missing_data_dir(tmp_path):
  with pytest.raises(DatasetError, match='does not exist'):
    datasets.load_dataset('cifar10', data_dir=str(tmp_path / 'nope'))


def test_class_missing_from_split(tmp_path):
  _write_idx_dir(str(tmp_path), num_test=9)  # Test labels 0..8: no 9.
  with pytest.raises(DatasetError, match='test split has no images of class '
                     '9'):
    datasets.load_dataset('mnist', data_dir=str(tmp_path))


def test_unknown_dataset_lists_choices():
  with pytest.raises(DatasetError) as info:
    datasets.load_dataset('svhn')
  for name in datasets.DATASETS:
    assert name in str(info.value)


# ----------------------------------------------------------------------------
# CIFAR pickles

_CIFAR_FILES = {
    'cifar10': ('cifar-10-batches-py', 'cifar-10-python.tar.gz',
                [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']),
    'cifar100': ('cifar-100-python', 'cifar-100-python.tar.gz',
                 ['train', 'test']),
}


def _cifar_batches(name, seed=0):
  """Returns {file name: batch dict} with every class in every split."""
  rng = np.random.default_rng(seed)
  batches = {}
  for file_name in _CIFAR_FILES[name][2]:
    if name == 'cifar10':
      num = 10
      batch = {b'labels': list(rng.permutation(10))}
    else:
      num = 40
      coarse = np.arange(num) % 20
      batch = {b'coarse_labels': list(coarse),
               b'fine_labels': list((coarse * 5 + 3) % 100)}
    batch[b'data'] = rng.integers(0, 256, (num, 3072), np.uint8)
    batch[b'filenames'] = [b'x.png'] * num
    batches[file_name] = batch
  return batches


def _write_cifar(root, name, as_archive, batches):
  folder_name, archive_name, _ = _CIFAR_FILES[name]
  if not as_archive:
    folder = os.path.join(root, folder_name)
    os.makedirs(folder)
    for file_name, batch in batches.items():
      with open(os.path.join(folder, file_name), 'wb') as handle:
        pickle.dump(batch, handle)
    return
  with tarfile.open(os.path.join(root, archive_name), 'w:gz') as tar:
    for file_name, batch in batches.items():
      data = pickle.dumps(batch)
      member = tarfile.TarInfo(f'{folder_name}/{file_name}')
      member.size = len(data)
      tar.addfile(member, io.BytesIO(data))


def _expected_images(batch):
  return batch[b'data'].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


@pytest.mark.parametrize('name', ['cifar10', 'cifar100'])
@pytest.mark.parametrize('as_archive', [False, True])
def test_cifar_loader(tmp_path, name, as_archive):
  batches = _cifar_batches(name)
  _write_cifar(str(tmp_path), name, as_archive, batches)
  data = datasets.load_dataset(name, data_dir=str(tmp_path))
  files = _CIFAR_FILES[name][2]
  train_files, test_file = files[:-1], files[-1]
  label_key = b'labels' if name == 'cifar10' else b'coarse_labels'
  np.testing.assert_array_equal(
      data.train_images,
      np.concatenate([_expected_images(batches[f]) for f in train_files]))
  np.testing.assert_array_equal(
      data.train_labels,
      np.concatenate([batches[f][label_key] for f in train_files]))
  np.testing.assert_array_equal(data.test_images,
                                _expected_images(batches[test_file]))
  np.testing.assert_array_equal(data.test_labels,
                                batches[test_file][label_key])
  assert data.train_images.dtype == np.uint8
  assert data.train_images.shape[1:] == (32, 32, 3)
  assert data.num_classes == (10 if name == 'cifar10' else 20)
  if name == 'cifar100':
    assert data.train_labels.max() == 19
    assert data.class_names[0] == 'aquatic_mammals'
    assert data.class_names[19] == 'vehicles_2'


def test_cifar_data_dir_is_batches_folder(tmp_path):
  _write_cifar(str(tmp_path), 'cifar10', False, _cifar_batches('cifar10'))
  folder = os.path.join(str(tmp_path), 'cifar-10-batches-py')
  data = datasets.load_dataset('cifar10', data_dir=folder)
  assert data.train_images.shape == (50, 32, 32, 3)
  assert data.source == f'local:{folder}'


def test_cifar_channel_order(tmp_path):
  batches = _cifar_batches('cifar10')
  # First 1024 values are red, then green, then blue.
  batches['test_batch'][b'data'][0] = np.repeat(
      np.array([10, 20, 30], np.uint8), 1024)
  _write_cifar(str(tmp_path), 'cifar10', False, batches)
  data = datasets.load_dataset('cifar10', data_dir=str(tmp_path))
  np.testing.assert_array_equal(data.test_images[0, 5, 7], [10, 20, 30])


@pytest.mark.parametrize('as_archive', [False, True])
def test_cifar_corrupt_pickle(tmp_path, as_archive):
  folder_name, archive_name, files = _CIFAR_FILES['cifar10']
  raw = {f: pickle.dumps(b) for f, b in _cifar_batches('cifar10').items()}
  raw['data_batch_3'] = raw['data_batch_3'][:100]  # Truncated.
  if as_archive:
    with tarfile.open(os.path.join(str(tmp_path), archive_name),
                      'w:gz') as tar:
      for f in files:
        member = tarfile.TarInfo(f'{folder_name}/{f}')
        member.size = len(raw[f])
        tar.addfile(member, io.BytesIO(raw[f]))
  else:
    os.makedirs(os.path.join(str(tmp_path), folder_name))
    for f in files:
      with open(os.path.join(str(tmp_path), folder_name, f), 'wb') as handle:
        handle.write(raw[f])
  with pytest.raises(DatasetError, match='data_batch_3'):
    datasets.load_dataset('cifar10', data_dir=str(tmp_path))


def test_cifar_missing_key_and_bad_size(tmp_path):
  batches = _cifar_batches('cifar100')
  del batches['train'][b'coarse_labels']
  _write_cifar(str(tmp_path / 'a'), 'cifar100', False, batches)
  with pytest.raises(DatasetError, match='coarse_labels'):
    datasets.load_dataset('cifar100', data_dir=str(tmp_path / 'a'))
  batches = _cifar_batches('cifar100')
  batches['test'][b'data'] = batches['test'][b'data'][:, :1000]
  _write_cifar(str(tmp_path / 'b'), 'cifar100', False, batches)
  with pytest.raises(DatasetError, match='3072'):
    datasets.load_dataset('cifar100', data_dir=str(tmp_path / 'b'))


def test_cifar_truncated_archive(tmp_path):
  _write_cifar(str(tmp_path), 'cifar100', True, _cifar_batches('cifar100'))
  path = os.path.join(str(tmp_path), 'cifar-100-python.tar.gz')
  with open(path, 'rb') as handle:
    content = handle.read()
  with open(path, 'wb') as handle:
    handle.write(content[:len(content) // 2])
  with pytest.raises(DatasetError, match='cifar-100-python.tar.gz'):
    datasets.load_dataset('cifar100', data_dir=str(tmp_path))


def test_cifar_missing_files(tmp_path):
  batches = _cifar_batches('cifar10')
  del batches['data_batch_4']
  _write_cifar(str(tmp_path), 'cifar10', False, batches)
  with pytest.raises(DatasetError, match='lacks data_batch_4'):
    datasets.load_dataset('cifar10', data_dir=str(tmp_path))
  with pytest.raises(DatasetError) as info:
    datasets.load_dataset('cifar100', data_dir=str(tmp_path))
  assert 'cifar-100-python.tar.gz' in str(info.value)
  assert '--data_dir' in str(info.value)


# ----------------------------------------------------------------------------
# tensorflow_datasets


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
  monkeypatch.setattr(datasets, '_unreachable_hosts', lambda *args: [])

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
  unreachable = datasets._unreachable_hosts(['https://example.org/x'], 0.2)
  assert time.monotonic() - start < 2
  assert unreachable == ['example.org:443 (no answer within 0.2 s)']


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


def test_default_image_size():
  for name in datasets.DATASETS:
    assert datasets.default_image_size(name) == 32
  with pytest.raises(DatasetError):
    datasets.default_image_size('imagenet')


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
