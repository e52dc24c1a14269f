"""Tests for ganad_tf.data.registry: one consistent entry per dataset."""

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from ganad_tf.benchmark.config import DataConfig
from ganad_tf.core import config as config_lib
from ganad_tf.data import augment
from ganad_tf.data import datasets
from ganad_tf.data import registry
from ganad_tf.errors import ConfigError, DatasetError


def test_names_and_entries_agree():
  assert registry.NAMES == ('mnist', 'fashion_mnist', 'cifar10', 'cifar100',
                            'digits')
  for name, info in registry.DATASETS.items():
    assert info.name == name
    assert len(info.image_shape) == 3 and min(info.image_shape) >= 1


@pytest.mark.parametrize('name', registry.NAMES)
def test_class_names_count_equals_class_count(name):
  info = registry.get(name)
  assert len(info.class_names) == info.num_classes
  assert len(set(info.class_names)) == info.num_classes


@pytest.mark.parametrize('name', registry.NAMES)
def test_augmentation_names_exist(name):
  pipeline = registry.get(name).augmentation
  assert pipeline in augment.PIPELINES
  assert pipeline in config_lib.AUGMENTATIONS
  assert augment.resolve('paper', name) == pipeline


def test_paper_augmentation_of_folder_and_unknown():
  assert registry.paper_augmentation(registry.FOLDER) == 'defect'
  assert registry.FOLDER_AUGMENTATION in augment.PIPELINES
  assert registry.paper_augmentation('svhn') == 'none'


def test_paper_auroc_where_the_paper_gives_one():
  assert registry.get('cifar10').paper_auroc == (90.6, 3.14)
  assert registry.get('digits').paper_auroc is None
  for info in registry.DATASETS.values():
    if info.paper_auroc is not None:
      mean, sd = info.paper_auroc
      assert 50 < mean <= 100 and 0 <= sd < 10


def test_lookup_accepts_spellings_and_names_the_choices():
  assert registry.get('Fashion-MNIST').name == 'fashion_mnist'
  assert registry.canonical_name(' CIFAR10 ') == 'cifar10'
  with pytest.raises(DatasetError) as info:
    registry.get('imagenet')
  for name in registry.NAMES:
    assert name in str(info.value)


def test_benchmark_config_accepts_the_registered_names():
  for name in registry.NAMES:
    DataConfig(dataset=name).validate()
  for name in ('imagenet', registry.FOLDER):  # folders: InspectionConfig
    with pytest.raises(ConfigError, match=name):
      DataConfig(dataset=name).validate()


def test_entries_are_frozen():
  with pytest.raises(dataclasses.FrozenInstanceError):
    registry.get('mnist').num_classes = 3


def test_registry_matches_the_digits_loader():
  info = registry.get('digits')
  data = datasets.load_dataset('digits')
  assert data.class_names == list(info.class_names)
  assert data.num_classes == info.num_classes
  assert data.train_images.shape[1:] == info.image_shape
  assert data.test_images.shape[1:] == info.image_shape
  assert set(np.unique(data.train_labels)) == set(range(info.num_classes))
  assert not info.in_tfds


def test_import_is_light():
  # core/config.py imports the registry, so it must not pull in numpy-heavy
  # or TensorFlow modules.
  code = ('import sys; import ganad_tf.data.registry; '
          'print(any(m.split(".")[0] in ("tensorflow", "numpy") '
          'for m in sys.modules))')
  out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                       text=True, check=True).stdout
  assert out.strip() == 'False'


def test_the_registry_holds_each_datasets_canonical_files():
  for name in registry.NAMES:
    info = registry.get(name)
    assert (info.files is None) == (not info.in_tfds), name
  assert registry.get('mnist').files == registry.get('fashion_mnist').files
  assert registry.get('cifar10').files.label_key == b'labels'
  # CIFAR-100 is used with its 20 superclasses.
  assert registry.get('cifar100').files.label_key == b'coarse_labels'
  assert len(registry.get('cifar100').class_names) == 20
