"""The benchmark datasets: one entry each, with what the code and paper say.

This is the one home of per-dataset knowledge: native image shape,
classes, the Sec. 4.2 augmentation, the paper's Sec. 4.3 AUROC and the
canonical files (names, CIFAR pickle label keys). Loaders, configs,
augmentation and benchmark tables read it from here; how a file format is
parsed is local_files.py's, how tfds is driven tfds_loader.py's. Import-light on
purpose (no numpy, no TensorFlow) so that configs and flags can use it.
"""

import dataclasses
from typing import Dict, Optional, Tuple

from ganad_tf.errors import DatasetError

# The dataset name the Detector trains under (ganad_tf.inspection): not a
# benchmark dataset, but it has a paper augmentation of its own.
FOLDER = 'folder'
FOLDER_AUGMENTATION = 'defect'


@dataclasses.dataclass(frozen=True)
class FileLayout:
  """A dataset's canonical files, as `--data_dir` holds them.

  Attributes:
    format: 'idx' (four IDX files, `.gz` or not) or 'cifar' (python-version
      pickles, extracted or in their .tar.gz).
    train_files, test_files: the files of each split (for 'idx': images,
      then labels).
    folder: 'cifar': the folder the archive extracts to.
    archive: 'cifar': the .tar.gz.
    label_key: 'cifar': the pickle entry holding the labels used.
  """
  format: str
  train_files: Tuple[str, ...]
  test_files: Tuple[str, ...]
  folder: str = ''
  archive: str = ''
  label_key: bytes = b''


# (Fashion-)MNIST share the IDX file names.
_IDX_LAYOUT = FileLayout(
    'idx', ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'))


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """What is known about one benchmark dataset.

  Attributes:
    name: canonical name: lower case, '_' rather than '-'.
    image_shape: native (height, width, channels) of its images.
    num_classes: label values 0..num_classes-1.
    class_names: name of each label value, num_classes of them.
    augmentation: the augment.PIPELINES name that `augment='paper'` means
      for it (Sec. 4.2).
    paper_auroc: the paper's (mean, SD) AUROC in % over its classes
      (Sec. 4.3), or None where the paper gives none.
    in_tfds: loadable through tensorflow_datasets; otherwise embedded.
    files: its canonical files for `--data_dir`; None for an embedded one.
  """
  name: str
  image_shape: Tuple[int, int, int]
  num_classes: int
  class_names: Tuple[str, ...]
  augmentation: str
  paper_auroc: Optional[Tuple[float, float]] = None
  in_tfds: bool = True
  files: Optional[FileLayout] = None


_DIGITS = tuple(str(digit) for digit in range(10))

# Class names are written out because tfds only knows real names after
# preparing a dataset (offline its CIFAR-10 names are '0'..'9'), and the
# local loaders need them too.
_ENTRIES = (
    DatasetInfo(
        name='mnist', image_shape=(28, 28, 1), num_classes=10,
        class_names=_DIGITS, augmentation='mnist',
        paper_auroc=(99.7, 0.16), files=_IDX_LAYOUT),
    DatasetInfo(
        name='fashion_mnist', image_shape=(28, 28, 1), num_classes=10,
        class_names=('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
                     'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'),
        augmentation='fashion_mnist', paper_auroc=(98.6, 1.20),
        files=_IDX_LAYOUT),
    DatasetInfo(
        name='cifar10', image_shape=(32, 32, 3), num_classes=10,
        class_names=('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog',
                     'frog', 'horse', 'ship', 'truck'),
        augmentation='cifar', paper_auroc=(90.6, 3.14),
        files=FileLayout(
            'cifar', tuple(f'data_batch_{i}' for i in range(1, 6)),
            ('test_batch',), folder='cifar-10-batches-py',
            archive='cifar-10-python.tar.gz', label_key=b'labels')),
    # Used with its 20 superclasses, in the order of `coarse_labels`.
    DatasetInfo(
        name='cifar100', image_shape=(32, 32, 3), num_classes=20,
        class_names=(
            'aquatic_mammals', 'fish', 'flowers', 'food_containers',
            'fruit_and_vegetables', 'household_electrical_devices',
            'household_furniture', 'insects', 'large_carnivores',
            'large_man-made_outdoor_things', 'large_natural_outdoor_scenes',
            'large_omnivores_and_herbivores', 'medium_mammals',
            'non-insect_invertebrates', 'people', 'reptiles',
            'small_mammals', 'trees', 'vehicles_1', 'vehicles_2'),
        augmentation='cifar', paper_auroc=(87.4, 4.80),
        files=FileLayout(
            'cifar', ('train',), ('test',), folder='cifar-100-python',
            archive='cifar-100-python.tar.gz', label_key=b'coarse_labels')),
    # sklearn's 8x8 digits, shipped inside scikit-learn; not in the paper,
    # it is the offline stand-in for MNIST.
    DatasetInfo(
        name='digits', image_shape=(8, 8, 1), num_classes=10,
        class_names=_DIGITS, augmentation='mnist', in_tfds=False),
)

DATASETS: Dict[str, DatasetInfo] = {info.name: info for info in _ENTRIES}
NAMES: Tuple[str, ...] = tuple(DATASETS)


def canonical_name(name: str) -> str:
  """The registered spelling of `name` ('-' and upper case are accepted).

  Raises:
    DatasetError: not a registered dataset; the message lists them.
  """
  canonical = str(name).strip().lower().replace('-', '_')
  if canonical not in DATASETS:
    raise DatasetError(f'Unknown dataset {name!r}; choose one of '
                       f'{", ".join(NAMES)}.')
  return canonical


def get(name: str) -> DatasetInfo:
  """The entry of a dataset; see canonical_name for accepted spellings."""
  return DATASETS[canonical_name(name)]


def paper_augmentation(dataset: str) -> str:
  """The pipeline `augment='paper'` means for a dataset name (or FOLDER).

  Unknown names get 'none', so a new data source trains unaugmented until
  it is registered.
  """
  if dataset == FOLDER:
    return FOLDER_AUGMENTATION
  info = DATASETS.get(dataset)
  return info.augmentation if info else 'none'
