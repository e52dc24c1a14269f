"""Tests for ganad_tf.data.local_files on tiny files the tests write.

The readers are exercised through datasets.load_dataset, as callers use them.
"""

import gzip
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from ganad_tf.data import datasets
from ganad_tf.data import local_files
from ganad_tf.errors import DatasetError


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
  for key, stem in local_files.idx_files('mnist').items():
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
  for stem in local_files.idx_files('fashion_mnist').values():
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


def test_load_local_returns_raw_splits(tmp_path):
  arrays = _write_idx_dir(str(tmp_path), num_train=10, num_test=10)
  raw = local_files.load_local('mnist', str(tmp_path))
  assert isinstance(raw, local_files.RawSplits)
  assert raw.source == f'local:{tmp_path}'
  assert raw.train_images.shape == (10, 28, 28, 1)
  np.testing.assert_array_equal(raw.test_labels, arrays['test_labels'])


def test_files_hint_names_the_files():
  assert 'train-images-idx3-ubyte.gz' in local_files.files_hint('mnist')
  assert 'dataset-fashion-mnist' in local_files.files_hint('fashion_mnist')
  assert 'cifar-100-python.tar.gz' in local_files.files_hint('cifar100')


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
