"""Labelled image datasets: MNIST, Fashion-MNIST, CIFAR-10/100 and digits.

Images come back at their native size as uint8 [N, H, W, C]; callers pick
the normal and anomaly classes and resize with `preprocess_images`.

Without `data_dir` the four torchvision-era datasets load through
tensorflow_datasets. tfds retries downloads for minutes when there is no
network, so before downloading we probe the download host and fail at once
with a message that says which files to pass with `--data_dir` instead. With
`data_dir` the canonical distributions (IDX `.gz` files, CIFAR python
pickles) are read with numpy alone, so the package works offline.
`digits` is sklearn's 8x8 digits, which ships inside scikit-learn.
"""

import dataclasses
import gzip
import logging
import os
import pickle
import socket
import tarfile
import threading
import time
import urllib.parse
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ganad_tf.core import pixels
from ganad_tf.core.config import DATASETS
from ganad_tf.errors import DatasetError, InputError

TFDS_DATASETS = ('mnist', 'fashion_mnist', 'cifar10', 'cifar100')

MNIST_CLASS_NAMES = [str(digit) for digit in range(10)]
FASHION_MNIST_CLASS_NAMES = [
    'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
    'Sneaker', 'Bag', 'Ankle boot'
]
CIFAR10_CLASS_NAMES = [
    'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse',
    'ship', 'truck'
]
# The 20 superclasses, in the order of CIFAR-100's `coarse_labels`.
CIFAR100_COARSE_CLASS_NAMES = [
    'aquatic_mammals', 'fish', 'flowers', 'food_containers',
    'fruit_and_vegetables', 'household_electrical_devices',
    'household_furniture', 'insects', 'large_carnivores',
    'large_man-made_outdoor_things', 'large_natural_outdoor_scenes',
    'large_omnivores_and_herbivores', 'medium_mammals',
    'non-insect_invertebrates', 'people', 'reptiles', 'small_mammals',
    'trees', 'vehicles_1', 'vehicles_2'
]
DIGITS_CLASS_NAMES = [str(digit) for digit in range(10)]

# Hard-coded because tfds only knows real names after preparing the dataset
# (offline its CIFAR-10 names are '0'..'9'), and local loaders need them too.
CLASS_NAMES = {
    'mnist': MNIST_CLASS_NAMES,
    'fashion_mnist': FASHION_MNIST_CLASS_NAMES,
    'cifar10': CIFAR10_CLASS_NAMES,
    'cifar100': CIFAR100_COARSE_CLASS_NAMES,
    'digits': DIGITS_CLASS_NAMES,
}

# Where tensorflow_datasets 4.9.10 downloads each dataset from (the `URL`
# of its mnist.py builders and `_cifar_info.url` of cifar.py).
TFDS_DOWNLOAD_URLS = {
    'mnist': 'https://storage.googleapis.com/cvdf-datasets/mnist/',
    'fashion_mnist':
        'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    'cifar10': 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
    'cifar100': 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
}

IDX_FILES = {
    'train_images': 'train-images-idx3-ubyte',
    'train_labels': 'train-labels-idx1-ubyte',
    'test_images': 't10k-images-idx3-ubyte',
    'test_labels': 't10k-labels-idx1-ubyte',
}
_IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions.
_IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension.


@dataclasses.dataclass(frozen=True)
class _CifarLayout:
  folder: str
  archive: str
  train_files: Tuple[str, ...]
  test_files: Tuple[str, ...]
  label_key: bytes


_CIFAR_LAYOUTS = {
    'cifar10':
        _CifarLayout(
            folder='cifar-10-batches-py',
            archive='cifar-10-python.tar.gz',
            train_files=tuple(f'data_batch_{i}' for i in range(1, 6)),
            test_files=('test_batch',),
            label_key=b'labels'),
    'cifar100':
        _CifarLayout(
            folder='cifar-100-python',
            archive='cifar-100-python.tar.gz',
            train_files=('train',),
            test_files=('test',),
            label_key=b'coarse_labels'),
}
_CIFAR_PIXELS = 32 * 32 * 3

# Images resized per call of tf.image.resize; bounds the float32 temporaries
# to ~13 MB at 32x32x3 whatever the dataset size (and is the fastest size).
_RESIZE_CHUNK = 1024

# Examples per batch when reading a prepared tfds dataset.
_TFDS_BATCH = 10000

_logger = logging.getLogger(__name__)


@dataclasses.dataclass
class LabeledImages:
  """Train and test images of one dataset with integer class labels.

  Attributes:
    name: one of DATASETS.
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


def default_image_size(name: str) -> int:
  """Model input size for a dataset: 32, the paper's size for all five."""
  _canonical_name(name)
  return 32


def load_dataset(name: str,
                 data_dir: Optional[str] = None,
                 tfds_data_dir: Optional[str] = None,
                 network_timeout: float = 10.0) -> LabeledImages:
  """Loads a dataset's train and test splits at native size.

  Args:
    name: one of DATASETS ('-' and upper case are accepted).
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
  name = _canonical_name(name)
  if name == 'digits':
    if data_dir:
      _logger.info('digits ships with scikit-learn; ignoring data_dir=%s',
                   data_dir)
    data = _load_digits()
  elif data_dir:
    data = _load_local(name, data_dir)
  else:
    data = _load_tfds(name, tfds_data_dir, network_timeout)
  _validate(data)
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
  if not isinstance(images, np.ndarray):
    raise InputError(
        f'preprocess_images expects a numpy array, got '
        f'{type(images).__name__}; pass np.asarray(images, dtype=np.uint8).')
  if images.ndim == 3:
    images = images[..., np.newaxis]
  if images.ndim != 4:
    raise InputError(
        f'preprocess_images expects uint8 images [N, H, W, C] or [N, H, W], '
        f'got shape {images.shape}; add or remove axes to match.')
  if images.dtype != np.uint8:
    raise InputError(
        f'preprocess_images expects uint8 pixels 0..255, got {images.dtype}; '
        'convert with np.clip(images, 0, 255).astype(np.uint8) after scaling '
        'to 0..255.')
  if (isinstance(image_size, bool) or
      not isinstance(image_size, (int, np.integer)) or image_size < 1):
    raise InputError(f'image_size must be a positive integer, got '
                     f'{image_size!r}.')
  num, height, width, channels = images.shape
  if height < 1 or width < 1 or channels < 1:
    raise InputError(f'Images of shape {images.shape} have an empty axis; '
                     'pass [N, H, W, C] with H, W, C >= 1.')
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


def _canonical_name(name: str) -> str:
  canonical = str(name).strip().lower().replace('-', '_')
  if canonical not in DATASETS:
    raise DatasetError(f'Unknown dataset {name!r}; choose one of '
                       f'{", ".join(DATASETS)}.')
  return canonical


def _validate(data: LabeledImages):
  """Checks shapes, dtypes and that every class is in both splits."""
  for split in ('train', 'test'):
    images = getattr(data, f'{split}_images')
    labels = getattr(data, f'{split}_labels')
    if images.ndim != 4 or images.dtype != np.uint8:
      raise DatasetError(
          f'{data.name} ({data.source}): {split} images have shape '
          f'{images.shape} and dtype {images.dtype}, expected uint8 '
          '[N, H, W, C]; the dataset files are not the canonical ones.')
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


def _labeled(name, source, train_images, train_labels, test_images,
             test_labels) -> LabeledImages:
  return LabeledImages(
      name=name,
      train_images=np.ascontiguousarray(train_images, dtype=np.uint8),
      train_labels=np.asarray(train_labels, dtype=np.int64).reshape(-1),
      test_images=np.ascontiguousarray(test_images, dtype=np.uint8),
      test_labels=np.asarray(test_labels, dtype=np.int64).reshape(-1),
      class_names=list(CLASS_NAMES[name]),
      source=source)


# ----------------------------------------------------------------------------
# sklearn digits


def _load_digits() -> LabeledImages:
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
  return _labeled('digits', 'sklearn', train_x, train_y, test_x, test_y)


# ----------------------------------------------------------------------------
# tensorflow_datasets


def _local_files_hint(name: str) -> str:
  """Says which files --data_dir must hold for a dataset."""
  if name in ('mnist', 'fashion_mnist'):
    hint = (f'Pass --data_dir=FOLDER holding the canonical files '
            f'{", ".join(f + ".gz" for f in IDX_FILES.values())} (copies '
            'without .gz work too).')
    if name == 'fashion_mnist':
      hint += (' On Debian/Ubuntu, `apt-get install dataset-fashion-mnist` '
               'installs them; then pass '
               '--data_dir=/usr/share/datasets/fashion-mnist.')
    return hint
  layout = _CIFAR_LAYOUTS[name]
  return (f'Pass --data_dir=FOLDER holding {layout.archive} (the python '
          f'version) or its extracted folder {layout.folder}/ with '
          f'{", ".join(layout.train_files + layout.test_files)}.')


def _download_error(name: str, data_dir: str, reason: str) -> DatasetError:
  return DatasetError(
      f'Dataset {name!r} is not prepared in the tensorflow_datasets folder '
      f'{data_dir} and could not be downloaded: {reason}. '
      f'{_local_files_hint(name)}')


def _unreachable_hosts(urls: Sequence[str], timeout: float) -> List[str]:
  """Returns 'host:port (reason)' for each URL whose host takes no connection.

  Probes run in daemon threads joined with a deadline, because name
  resolution ignores socket timeouts and can hang far longer than `timeout`.
  """
  results: Dict[Tuple[str, int], Optional[str]] = {}

  def probe(address):
    try:
      socket.create_connection(address, timeout=timeout).close()
      results[address] = None
    except OSError as error:
      results[address] = str(error) or type(error).__name__

  threads = {}
  for url in urls:
    parsed = urllib.parse.urlparse(url)
    port = parsed.port or (443 if parsed.scheme == 'https' else 80)
    address = (parsed.hostname, port)
    threads[address] = threading.Thread(target=probe, args=(address,),
                                        daemon=True)
    threads[address].start()
  deadline = time.monotonic() + timeout
  for thread in threads.values():
    thread.join(max(0.0, deadline - time.monotonic()))
  unreachable = []
  for (host, port) in threads:
    reason = results.get((host, port), f'no answer within {timeout:g} s')
    if reason is not None:
      unreachable.append(f'{host}:{port} ({reason})')
  return unreachable


def _load_tfds(name: str, tfds_data_dir: Optional[str],
               network_timeout: float) -> LabeledImages:
  """Loads through tfds, downloading only after the host answered."""
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  except ImportError as error:
    raise DatasetError(
        f'tensorflow_datasets is needed to load {name!r} without --data_dir '
        f'but cannot be imported ({error}). Run `pip install '
        f'tensorflow-datasets importlib_resources`. '
        f'{_local_files_hint(name)}') from error

  try:
    builder = tfds.builder(name, data_dir=tfds_data_dir)
    prepared = builder.is_prepared()
  except Exception as error:  # pylint: disable=broad-except
    raise DatasetError(
        f'tensorflow_datasets cannot set up {name!r} in data folder '
        f'{tfds_data_dir or "(tfds default)"}: {error}. '
        f'{_local_files_hint(name)}') from error

  if not prepared:
    # A dataset that is not prepared may still be readable: under
    # tfds.testing.mock_data every builder reads fake examples without
    # files. Trying the read first keeps mocked tests off the network.
    try:
      return _read_tfds(name, builder, tfds)
    except Exception:  # pylint: disable=broad-except
      pass
    unreachable = _unreachable_hosts([TFDS_DOWNLOAD_URLS[name]],
                                     network_timeout)
    if unreachable:
      raise _download_error(
          name, builder.data_dir_root,
          f'cannot connect to {", ".join(unreachable)} (no network?)')
    try:
      builder.download_and_prepare()
    except ModuleNotFoundError as error:
      # tfds imports importlib_resources only when it prepares a dataset.
      module = error.name or 'importlib_resources'
      raise _download_error(
          name, builder.data_dir_root,
          f'tensorflow_datasets needs the module {module!r} to prepare it '
          f'({error}); run `pip install {module}`') from error
    except Exception as error:  # pylint: disable=broad-except
      raise _download_error(name, builder.data_dir_root,
                            f'{type(error).__name__}: {error}') from error

  try:
    return _read_tfds(name, builder, tfds)
  except DatasetError:
    raise
  except Exception as error:  # pylint: disable=broad-except
    raise DatasetError(
        f'tensorflow_datasets could not read the prepared {name!r} in '
        f'{builder.data_dir}: {type(error).__name__}: {error}. Delete that '
        f'folder so it is prepared again. {_local_files_hint(name)}'
    ) from error


def _read_tfds(name: str, builder, tfds) -> LabeledImages:
  """Reads both splits of a tfds builder into numpy arrays."""
  # CIFAR-100 is used with its 20 superclasses, not the 100 fine labels.
  label_key = 'coarse_label' if name == 'cifar100' else 'label'
  num_classes = builder.info.features[label_key].num_classes
  if num_classes != len(CLASS_NAMES[name]):
    raise DatasetError(
        f'tfds {name!r} has {num_classes} classes in {label_key!r}, expected '
        f'{len(CLASS_NAMES[name])}; use tensorflow-datasets 4.9.x or '
        '--data_dir.')
  arrays = []
  for split in ('train', 'test'):
    # Fixed-size batches, not batch_size=-1: that batches by the split sizes
    # in the dataset info, and where they are unknown (tfds.testing.mock_data)
    # it batches by sys.maxsize, which aborts the process in TensorFlow.
    dataset = builder.as_dataset(split=split, batch_size=_TFDS_BATCH)
    images, labels = [], []
    for batch in tfds.as_numpy(dataset):
      images.append(batch['image'])
      labels.append(batch[label_key])
    if not images:
      raise DatasetError(
          f'tfds {name!r} has an empty {split} split in {builder.data_dir}; '
          'delete that folder so it is prepared again, or use --data_dir.')
    arrays += [np.concatenate(images), np.concatenate(labels)]
  return _labeled(name, 'tfds', *arrays)


# ----------------------------------------------------------------------------
# Local canonical files


def _load_local(name: str, data_dir: str) -> LabeledImages:
  data_dir = os.path.abspath(os.path.expanduser(data_dir))
  if not os.path.isdir(data_dir):
    raise DatasetError(
        f'--data_dir={data_dir} does not exist or is not a folder. '
        f'{_local_files_hint(name)}')
  if name in ('mnist', 'fashion_mnist'):
    return _load_idx_dataset(name, data_dir)
  return _load_cifar(name, data_dir)


def _read_bytes(path: str) -> bytes:
  """Reads a file, decompressing `.gz`, as DatasetError if it cannot."""
  try:
    if path.endswith('.gz'):
      with gzip.open(path, 'rb') as handle:
        return handle.read()
    with open(path, 'rb') as handle:
      return handle.read()
  except (OSError, EOFError, zlib.error) as error:
    raise DatasetError(
        f'Cannot read {path}: it is corrupt or truncated ({error}). '
        'Download it again or check its permissions.') from error


def _find_idx_file(name: str, data_dir: str, stem: str) -> str:
  for candidate in (stem + '.gz', stem):
    path = os.path.join(data_dir, candidate)
    if os.path.isfile(path):
      return path
  present = sorted(os.listdir(data_dir))[:20]
  raise DatasetError(
      f'{name}: neither {stem}.gz nor {stem} is in --data_dir={data_dir} '
      f'(it holds {present or "nothing"}). {_local_files_hint(name)}')


def _parse_idx(path: str, expected_magic: int) -> np.ndarray:
  """Parses an IDX file of unsigned bytes, checking header and length."""
  raw = _read_bytes(path)
  ndim = 3 if expected_magic == _IDX_IMAGES_MAGIC else 1
  header_size = 4 + 4 * ndim
  if len(raw) < header_size:
    raise DatasetError(
        f'{path} has {len(raw)} bytes, too short for an IDX header; the file '
        'is truncated. Download it again.')
  magic = int.from_bytes(raw[:4], 'big')
  if magic != expected_magic:
    kind = 'images' if ndim == 3 else 'labels'
    raise DatasetError(
        f'{path} starts with magic number {magic}, but IDX {kind} of '
        f'unsigned bytes start with {expected_magic}; the file is corrupt or '
        'is not the file its name says (images and labels swapped?). '
        'Download it again.')
  dims = tuple(
      int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
  expected = header_size + int(np.prod(dims, dtype=np.int64))
  if len(raw) != expected:
    raise DatasetError(
        f'{path} has {len(raw)} bytes but its header {dims} promises '
        f'{expected}; the file is truncated or corrupt. Download it again.')
  return np.frombuffer(raw, np.uint8, offset=header_size).reshape(dims)


def _load_idx_dataset(name: str, data_dir: str) -> LabeledImages:
  paths = {
      key: _find_idx_file(name, data_dir, stem)
      for key, stem in IDX_FILES.items()
  }
  arrays = {}
  for split in ('train', 'test'):
    images = _parse_idx(paths[f'{split}_images'], _IDX_IMAGES_MAGIC)
    labels = _parse_idx(paths[f'{split}_labels'], _IDX_LABELS_MAGIC)
    if images.shape[1:] != (28, 28):
      raise DatasetError(
          f'{paths[f"{split}_images"]} holds {images.shape[1]}x'
          f'{images.shape[2]} images, but {name} images are 28x28; pass the '
          f'{name} files.')
    if len(images) != len(labels):
      raise DatasetError(
          f'{paths[f"{split}_images"]} holds {len(images)} images but '
          f'{paths[f"{split}_labels"]} holds {len(labels)} labels; the files '
          'come from different downloads. Download both again.')
    arrays[split] = (images[..., np.newaxis], labels)
  return _labeled(name, f'local:{data_dir}', *arrays['train'],
                  *arrays['test'])


def _unpickle(handle, where: str) -> dict:
  try:
    # Corrupt pickles raise nearly any exception type, not just
    # UnpicklingError, so everything is reported as a corrupt file.
    batch = pickle.load(handle, encoding='bytes')
  except Exception as error:  # pylint: disable=broad-except
    raise DatasetError(
        f'{where} is not a readable CIFAR pickle ({type(error).__name__}: '
        f'{error}); the file is corrupt or truncated. Download it again.'
    ) from error
  if not isinstance(batch, dict):
    raise DatasetError(
        f'{where} holds a {type(batch).__name__}, not the dict of a CIFAR '
        'python batch; pass the python version of the dataset.')
  return batch


def _cifar_arrays(batch: dict, where: str,
                  label_key: bytes) -> Tuple[np.ndarray, np.ndarray]:
  """Turns one CIFAR batch dict into uint8 [N, 32, 32, 3] and labels."""
  missing = [key.decode() for key in (b'data', label_key) if key not in batch]
  if missing:
    present = sorted(repr(key) for key in batch)
    raise DatasetError(
        f'{where} has no {", ".join(missing)} entry (it has {present}); it is '
        'not a CIFAR python batch of this dataset.')
  try:
    data = np.asarray(batch[b'data'])
    labels = np.asarray(batch[label_key], dtype=np.int64).reshape(-1)
  except (TypeError, ValueError) as error:
    raise DatasetError(f'{where} has malformed data or labels ({error}); '
                       'download it again.') from error
  if data.ndim != 2 or data.shape[1] != _CIFAR_PIXELS:
    raise DatasetError(
        f'{where} has data of shape {data.shape}, expected [N, '
        f'{_CIFAR_PIXELS}] (32x32x3 images); download it again.')
  if data.dtype != np.uint8 and (data.min(initial=0) < 0 or
                                 data.max(initial=0) > 255):
    raise DatasetError(f'{where} has pixel values outside 0..255; download '
                       'it again.')
  if len(labels) != len(data):
    raise DatasetError(
        f'{where} has {len(data)} images but {len(labels)} labels; it is '
        'truncated or corrupt. Download it again.')
  # Rows are channel-major (1024 red, 1024 green, 1024 blue values).
  images = data.astype(np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
  return images, labels


def _load_cifar(name: str, data_dir: str) -> LabeledImages:
  layout = _CIFAR_LAYOUTS[name]
  files = layout.train_files + layout.test_files
  folder = None
  for candidate in (os.path.join(data_dir, layout.folder), data_dir):
    if any(os.path.isfile(os.path.join(candidate, f)) for f in files):
      folder = candidate
      break
  archive = os.path.join(data_dir, layout.archive)
  if folder is not None:
    batches = _read_cifar_folder(name, folder, files)
    source = folder
  elif os.path.isfile(archive):
    batches = _read_cifar_archive(name, archive, layout.folder, files)
    source = archive
  else:
    raise DatasetError(
        f'{name}: --data_dir={data_dir} holds neither {layout.archive} nor '
        f'{layout.folder}/ with the batch files. {_local_files_hint(name)}')

  def split_arrays(split_files):
    parts = [_cifar_arrays(*batches[f], layout.label_key) for f in split_files]
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]))

  train_images, train_labels = split_arrays(layout.train_files)
  test_images, test_labels = split_arrays(layout.test_files)
  return _labeled(name, f'local:{source}', train_images, train_labels,
                  test_images, test_labels)


def _read_cifar_folder(name: str, folder: str,
                       files: Sequence[str]) -> Dict[str, Tuple[dict, str]]:
  """Unpickles the batch files of an extracted CIFAR folder."""
  missing = [f for f in files if not os.path.isfile(os.path.join(folder, f))]
  if missing:
    raise DatasetError(
        f'{name}: {folder} lacks {", ".join(missing)}; it needs all of '
        f'{", ".join(files)}. {_local_files_hint(name)}')
  batches = {}
  for f in files:
    path = os.path.join(folder, f)
    try:
      with open(path, 'rb') as handle:
        batches[f] = (_unpickle(handle, path), path)
    except OSError as error:
      raise DatasetError(f'Cannot read {path} ({error}); check its '
                         'permissions.') from error
  return batches


def _read_cifar_archive(name: str, archive: str, folder: str,
                        files: Sequence[str]) -> Dict[str, Tuple[dict, str]]:
  """Unpickles the batch files straight from the .tar.gz, no extraction."""
  batches = {}
  try:
    with tarfile.open(archive, 'r:gz') as tar:
      members = {}
      for member in tar.getmembers():
        if member.isfile() and os.path.dirname(member.name).endswith(folder):
          members[os.path.basename(member.name)] = member
      missing = [f for f in files if f not in members]
      if missing:
        raise DatasetError(
            f'{archive} lacks {", ".join(f"{folder}/{f}" for f in missing)}; '
            f'it must be the python version of {name}. '
            f'{_local_files_hint(name)}')
      for f in files:
        where = f'{archive}:{members[f].name}'
        batches[f] = (_unpickle(tar.extractfile(members[f]), where), where)
  except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
    raise DatasetError(
        f'Cannot read {archive}: it is corrupt or truncated ({error}). '
        'Download it again.') from error
  return batches
