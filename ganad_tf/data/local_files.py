"""Reading the canonical dataset files from `--data_dir`, with numpy alone.

(Fashion-)MNIST come as four IDX files (`.gz` or not); CIFAR-10/100 as
their python-version pickles, extracted or straight from the `.tar.gz`.
Every problem with a file is a DatasetError naming the file and the fix.
"""

import gzip
import os
import pickle
import tarfile
import zlib
from typing import Dict, NamedTuple, Sequence, Tuple

import numpy as np

from ganad_tf.data import registry
from ganad_tf.errors import DatasetError


def idx_files(name: str) -> Dict[str, str]:
  """Array name -> IDX file stem, from the registry's layout."""
  layout = registry.get(name).files
  return dict(zip(('train_images', 'train_labels', 'test_images',
                   'test_labels'), layout.train_files + layout.test_files))


def _is_idx(name: str) -> bool:
  return registry.get(name).files.format == 'idx'


_IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions.
_IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension.


class RawSplits(NamedTuple):
  """Both splits of a dataset as read, before datasets.LabeledImages.

  source is where they came from: 'tfds', 'local:<path>' or 'sklearn'.
  """
  source: str
  train_images: np.ndarray
  train_labels: np.ndarray
  test_images: np.ndarray
  test_labels: np.ndarray


def files_hint(name: str) -> str:
  """Says which files --data_dir must hold for a dataset."""
  if _is_idx(name):
    hint = (f'Pass --data_dir=FOLDER holding the canonical files '
            f'{", ".join(f + ".gz" for f in idx_files(name).values())} (copies '
            'without .gz work too).')
    if name == 'fashion_mnist':
      hint += (' On Debian/Ubuntu, `apt-get install dataset-fashion-mnist` '
               'installs them; then pass '
               '--data_dir=/usr/share/datasets/fashion-mnist.')
    return hint
  layout = registry.get(name).files
  return (f'Pass --data_dir=FOLDER holding {layout.archive} (the python '
          f'version) or its extracted folder {layout.folder}/ with '
          f'{", ".join(layout.train_files + layout.test_files)}.')


def load_local(name: str, data_dir: str) -> RawSplits:
  """Reads a dataset's canonical files from a folder.

  Args:
    name: a canonical registry name other than 'digits'.
    data_dir: the folder holding the files (see files_hint).

  Raises:
    DatasetError: folder or files missing, unreadable or not canonical.
  """
  data_dir = os.path.abspath(os.path.expanduser(data_dir))
  if not os.path.isdir(data_dir):
    raise DatasetError(
        f'--data_dir={data_dir} does not exist or is not a folder. '
        f'{files_hint(name)}')
  if _is_idx(name):
    return _load_idx_dataset(name, data_dir)
  return _load_cifar(name, data_dir)


# ----------------------------------------------------------------------------
# IDX files of (Fashion-)MNIST


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
      f'(it holds {present or "nothing"}). {files_hint(name)}')


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


def _load_idx_dataset(name: str, data_dir: str) -> RawSplits:
  paths = {
      key: _find_idx_file(name, data_dir, stem)
      for key, stem in idx_files(name).items()
  }
  height, width, _ = registry.get(name).image_shape
  arrays = {}
  for split in ('train', 'test'):
    images = _parse_idx(paths[f'{split}_images'], _IDX_IMAGES_MAGIC)
    labels = _parse_idx(paths[f'{split}_labels'], _IDX_LABELS_MAGIC)
    if images.shape[1:] != (height, width):
      raise DatasetError(
          f'{paths[f"{split}_images"]} holds {images.shape[1]}x'
          f'{images.shape[2]} images, but {name} images are {height}x'
          f'{width}; pass the {name} files.')
    if len(images) != len(labels):
      raise DatasetError(
          f'{paths[f"{split}_images"]} holds {len(images)} images but '
          f'{paths[f"{split}_labels"]} holds {len(labels)} labels; the files '
          'come from different downloads. Download both again.')
    arrays[split] = (images[..., np.newaxis], labels)
  return RawSplits(f'local:{data_dir}', *arrays['train'], *arrays['test'])


# ----------------------------------------------------------------------------
# CIFAR python pickles


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


def _cifar_arrays(batch: dict, where: str, label_key: bytes,
                  image_shape: Tuple[int, int, int]
                  ) -> Tuple[np.ndarray, np.ndarray]:
  """Turns one CIFAR batch dict into uint8 [N, H, W, C] and labels."""
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
  height, width, channels = image_shape
  pixels = height * width * channels
  if data.ndim != 2 or data.shape[1] != pixels:
    raise DatasetError(
        f'{where} has data of shape {data.shape}, expected [N, '
        f'{pixels}] ({height}x{width}x{channels} images); download it '
        'again.')
  if data.dtype != np.uint8 and (data.min(initial=0) < 0 or
                                 data.max(initial=0) > 255):
    raise DatasetError(f'{where} has pixel values outside 0..255; download '
                       'it again.')
  if len(labels) != len(data):
    raise DatasetError(
        f'{where} has {len(data)} images but {len(labels)} labels; it is '
        'truncated or corrupt. Download it again.')
  # Rows are channel-major (1024 red, 1024 green, 1024 blue values).
  images = data.astype(np.uint8).reshape(-1, channels, height,
                                         width).transpose(0, 2, 3, 1)
  return images, labels


def _load_cifar(name: str, data_dir: str) -> RawSplits:
  layout = registry.get(name).files
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
        f'{layout.folder}/ with the batch files. {files_hint(name)}')

  image_shape = registry.get(name).image_shape

  def split_arrays(split_files):
    parts = [_cifar_arrays(*batches[f], layout.label_key, image_shape)
             for f in split_files]
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]))

  train_images, train_labels = split_arrays(layout.train_files)
  test_images, test_labels = split_arrays(layout.test_files)
  return RawSplits(f'local:{source}', train_images, train_labels,
                   test_images, test_labels)


def _read_cifar_folder(name: str, folder: str,
                       files: Sequence[str]) -> Dict[str, Tuple[dict, str]]:
  """Unpickles the batch files of an extracted CIFAR folder."""
  missing = [f for f in files if not os.path.isfile(os.path.join(folder, f))]
  if missing:
    raise DatasetError(
        f'{name}: {folder} lacks {", ".join(missing)}; it needs all of '
        f'{", ".join(files)}. {files_hint(name)}')
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
            f'{files_hint(name)}')
      for f in files:
        where = f'{archive}:{members[f].name}'
        batches[f] = (_unpickle(tar.extractfile(members[f]), where), where)
  except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
    raise DatasetError(
        f'Cannot read {archive}: it is corrupt or truncated ({error}). '
        'Download it again.') from error
  return batches
