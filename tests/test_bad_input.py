"""The README's bad-input table: one test per row, each with a clear error
and no partial output."""

import gzip
import pickle

import numpy as np
import pytest

from conftest import digits_config
from ganad_tf.benchmark import runner as benchmark
from ganad_tf.core import config as config_lib
from ganad_tf.core import models
from ganad_tf.errors import ConfigError, DatasetError, InputError
from ganad_tf.errors import OutputError
from ganad_tf.core.scoring import Scorer


def _fails_without_output(tmp_path, error, match, config=None, **kwargs):
  output_dir = tmp_path / 'run'
  with pytest.raises(error, match=match):
    benchmark.run_benchmark(config or digits_config(), str(output_dir),
                            **kwargs)
  assert not output_dir.exists(), 'a failed run left output behind'


def _with_data(dataset, data_dir):
  return config_lib.replace(digits_config(), data={'dataset': dataset,
                                                   'data_dir': str(data_dir)})


def test_unknown_dataset(tmp_path):
  config = config_lib.replace(digits_config(), data={'dataset': 'imagenet'})
  _fails_without_output(tmp_path, ConfigError,
                        "Unknown dataset 'imagenet'.*fashion_mnist", config)


def test_normal_class_out_of_range(tmp_path):
  _fails_without_output(tmp_path, ConfigError, 'out of range for digits',
                        normal_classes=[12])


def test_data_dir_without_the_needed_files(tmp_path):
  empty = tmp_path / 'empty'
  empty.mkdir()
  _fails_without_output(tmp_path, DatasetError,
                        'train-images-idx3-ubyte.gz',
                        _with_data('fashion_mnist', empty))


def test_corrupt_gz(tmp_path):
  folder = tmp_path / 'fmnist'
  folder.mkdir()
  for stem in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
               't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
    data = gzip.compress(b'\x00\x00\x08\x03' + b'\x00' * 200)
    (folder / f'{stem}.gz').write_bytes(data[:len(data) // 2])  # truncated
  _fails_without_output(tmp_path, DatasetError, 'corrupt|truncated',
                        _with_data('fashion_mnist', folder))


def test_corrupt_pickle(tmp_path):
  folder = tmp_path / 'cifar' / 'cifar-10-batches-py'
  folder.mkdir(parents=True)
  for name in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
    (folder / name).write_bytes(pickle.dumps({b'data': 1})[:9])
  _fails_without_output(tmp_path, DatasetError, 'data_batch_1',
                        _with_data('cifar10', folder.parent))


@pytest.fixture(scope='module')
def scorer():
  return Scorer(models.build_generator((32, 32, 1)), batch_size=4)


@pytest.mark.parametrize('shape,match', [
    ((2, 32, 32), '4-D'),              # wrong rank
    ((2, 28, 28, 1), 'expects'),       # wrong size
    ((2, 32, 32, 3), 'expects'),       # wrong channel count
])
def test_wrong_images_passed_to_the_api(scorer, shape, match):
  with pytest.raises(InputError, match=match):
    scorer.scores(np.zeros(shape, np.float32))


def test_nan_pixels(scorer):
  images = np.zeros((3, 32, 32, 1), np.float32)
  images[1, 4, 4, 0] = np.nan
  with pytest.raises(InputError, match='NaN or Inf pixels'):
    scorer.scores(images)


def test_empty_class(tmp_path):
  # Fashion-MNIST-format files in which class 9 has no test images.
  folder = tmp_path / 'fmnist'
  folder.mkdir()

  def idx(path, magic, array):
    header = magic.to_bytes(4, 'big') + b''.join(
        d.to_bytes(4, 'big') for d in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))

  labels = np.arange(20) % 10
  idx(folder / 'train-images-idx3-ubyte.gz', 2051,
      np.zeros((20, 28, 28), np.uint8))
  idx(folder / 'train-labels-idx1-ubyte.gz', 2049, labels)
  idx(folder / 't10k-images-idx3-ubyte.gz', 2051,
      np.zeros((9, 28, 28), np.uint8))
  idx(folder / 't10k-labels-idx1-ubyte.gz', 2049, np.arange(9))
  _fails_without_output(tmp_path, DatasetError, 'no images of class 9',
                        _with_data('fashion_mnist', folder))


@pytest.mark.parametrize('train,match', [
    ({'batch_size': 0}, 'batch_size=0 must be a whole number >= 1'),
    ({'epochs': -3}, 'epochs=-3 must be a whole number >= 1'),
    ({'patch_size': 64}, 'patch_size=64 is larger than the 32x32'),
])
def test_conflicting_flags(tmp_path, train, match):
  _fails_without_output(tmp_path, ConfigError, match, digits_config(**train))


def test_output_folder_not_writable(tmp_path):
  blocker = tmp_path / 'file'
  blocker.write_text('not a folder')
  with pytest.raises(OutputError, match='Cannot write to output folder'):
    benchmark.run_benchmark(digits_config(), str(blocker / 'run'))
  with pytest.raises(OutputError, match='it is a file'):
    benchmark.run_benchmark(digits_config(), str(blocker))
  assert blocker.read_text() == 'not a folder'
