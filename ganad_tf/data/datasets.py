"""Labelled image datasets: MNIST, Fashion-MNIST, CIFAR-10/100 and digits.

Images come back at their native size as uint8 [N, H, W, C]; callers pick
the normal and anomaly classes and resize with `preprocess_images`.

Without `data_dir` the four torchvision-era datasets load through
tensorflow_datasets (tfds_loader.py, which fails fast when offline). With
`data_dir` the canonical distributions (IDX `.gz` files, CIFAR python
pickles) are read with numpy alone (local_files.py), so the package works
offline. `digits` is sklearn's 8x8 digits, which ships inside scikit-learn.
What is known about each dataset (shapes, classes, the paper's numbers) is
in registry.py.
"""

import dataclasses
import logging
from typing import List, Optional

import numpy as np

from ganad_tf import pixels
from ganad_tf.data import checks
from ganad_tf.data import local_files
from ganad_tf.data import registry
from ganad_tf.data import tfds_loader
from ganad_tf.errors import DatasetError, InputError

# Images resized per call of tf.image.resize; bounds the float32 temporaries
# to ~13 MB at 32x32x3 whatever the dataset size (and is the fastest size).
_RESIZE_CHUNK = 1024

_logger = logging.getLogger(__name__)


@dataclasses.dataclass
class LabeledImages:
  """Train and test images of one dataset with integer class labels.

  Attributes:
    name: one of registry.NAMES.
    train_images: uint8 [N, H, W, C] at native size.
    train_labels: int64 [N], in [0, num_classes).
    test_images: uint8 [M, H, W, C].
    test_labels: int64 [M].
    class_names: name of each label value.
    source: where the arrays came from: 'tfds', 'local:<path>' or 'sklearn'.
  """
  name: str
  train_images: np.ndarray
  train_labels: np.ndarray
  test_images: np.ndarray
  test_labels: np.ndarray
  class_names: List[str]
  source: str

  @property
  def num_classes(self) -> int:
    return len(self.class_names)


def load_dataset(name: str,
                 data_dir: Optional[str] = None,
                 tfds_data_dir: Optional[str] = None,
                 network_timeout: float = 10.0) -> LabeledImages:
  """Loads a dataset's train and test splits at native size.

  Args:
    name: one of registry.NAMES ('-' and upper case are accepted).
    data_dir: folder with the canonical files of the dataset; when given,
      they are read locally and tfds is not used. Ignored for 'digits'.
    tfds_data_dir: tensorflow_datasets data folder (default: tfds's own).
    network_timeout: seconds to wait for the download host before giving up.

  Returns:
    The dataset; CIFAR-100 labels are its 20 coarse superclasses.

  Raises:
    DatasetError: unknown name, files missing or corrupt, download
      impossible, or a class missing from a split.
  """
  info = registry.get(name)
  if not info.in_tfds:
    if data_dir:
      _logger.info('%s ships with scikit-learn; ignoring data_dir=%s',
                   info.name, data_dir)
    raw = _load_digits()
  elif data_dir:
    raw = local_files.load_local(info.name, data_dir)
  else:
    raw = tfds_loader.load_tfds(info.name, tfds_data_dir, network_timeout)
  data = _labeled(info, raw)
  _check_splits(data)
  return data


def preprocess_images(images: np.ndarray, image_size: int) -> np.ndarray:
  """Scales uint8 images to float32 in [-1, 1] at image_size x image_size.

  Args:
    images: uint8 [N, H, W, C], or [N, H, W] for one channel.
    image_size: output height and width. Other sizes are resized bilinearly
      (antialiased when shrinking).

  Returns:
    float32 [N, image_size, image_size, C].

  Raises:
    InputError: wrong type, rank, dtype or size.
  """
  images = checks.check_uint8_batch(images, 'preprocess_images input')
  if (isinstance(image_size, bool) or
      not isinstance(image_size, (int, np.integer)) or image_size < 1):
    raise InputError(f'image_size must be a positive integer, got '
                     f'{image_size!r}.')
  num, height, width, channels = images.shape
  image_size = int(image_size)
  if height == image_size and width == image_size:
    return pixels.to_model_range(images)

  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  antialias = image_size < height or image_size < width
  out = np.empty((num, image_size, image_size, channels), np.float32)
  for start in range(0, num, _RESIZE_CHUNK):
    chunk = pixels.to_model_range(images[start:start + _RESIZE_CHUNK])
    resized = tf.image.resize(chunk, (image_size, image_size),
                              method='bilinear', antialias=antialias)
    out[start:start + len(chunk)] = resized.numpy()
  # Antialiasing filters are convex, but float rounding can step past +-1.
  np.clip(out, -1.0, 1.0, out=out)
  return out


def _labeled(info: registry.DatasetInfo,
             raw: local_files.RawSplits) -> LabeledImages:
  return LabeledImages(
      name=info.name,
      train_images=np.ascontiguousarray(raw.train_images, dtype=np.uint8),
      train_labels=np.asarray(raw.train_labels, dtype=np.int64).reshape(-1),
      test_images=np.ascontiguousarray(raw.test_images, dtype=np.uint8),
      test_labels=np.asarray(raw.test_labels, dtype=np.int64).reshape(-1),
      class_names=list(info.class_names),
      source=raw.source)


def _check_splits(data: LabeledImages):
  """Checks shapes, labels and that every class is in both splits.

  A failure here means the files are not the canonical ones, so it is a
  DatasetError whose fix is to replace them.
  """
  for split in ('train', 'test'):
    images = getattr(data, f'{split}_images')
    labels = getattr(data, f'{split}_labels')
    if images.ndim != 4:
      # 3-D uint8 would pass check_uint8_batch as gray; loaders add the axis.
      raise DatasetError(
          f'{data.name} ({data.source}): {split} images have shape '
          f'{images.shape}, expected uint8 [N, H, W, C]; the dataset files '
          'are not the canonical ones.')
    try:
      checks.check_uint8_batch(images, f'{split} images')
    except InputError as error:
      raise DatasetError(
          f'{data.name} ({data.source}): {error} The dataset files are not '
          'the canonical ones; replace them.') from error
    if len(images) != len(labels):
      raise DatasetError(
          f'{data.name} ({data.source}): {len(images)} {split} images but '
          f'{len(labels)} labels; the files come from different versions or '
          'are truncated; replace them with the canonical files.')
    if len(labels) and (labels.min() < 0 or labels.max() >= data.num_classes):
      raise DatasetError(
          f'{data.name} ({data.source}): {split} labels span '
          f'{labels.min()}..{labels.max()} but the dataset has '
          f'{data.num_classes} classes; replace the files with the canonical '
          'ones.')
    counts = np.bincount(labels, minlength=data.num_classes)
    missing = [f'{index} ({data.class_names[index]})'
               for index in np.flatnonzero(counts == 0)]
    if missing:
      raise DatasetError(
          f'{data.name} ({data.source}): the {split} split has no images of '
          f'class {", ".join(missing)}, so that class can be neither a '
          'normal nor an anomaly class; use the complete canonical files.')


def _load_digits() -> local_files.RawSplits:
  # Imported here so that loading the other datasets skips sklearn.
  import sklearn.datasets  # pylint: disable=g-import-not-at-top
  import sklearn.model_selection  # pylint: disable=g-import-not-at-top
  digits = sklearn.datasets.load_digits()
  # Pixels are counts 0..16 of a 4x4 block; stretch them to 0..255.
  images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
  images = images[..., np.newaxis]
  # A fixed stratified split, since sklearn ships no test split.
  train_x, test_x, train_y, test_y = sklearn.model_selection.train_test_split(
      images, digits.target, test_size=0.3, stratify=digits.target,
      random_state=0)
  return local_files.RawSplits('sklearn', train_x, train_y, test_x, test_y)
