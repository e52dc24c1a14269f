"""Reading an inspection data set from a folder of images.

Layout (the one `ganad_tf.data.synthetic.writer.generate_dataset` writes):

  DATA/normal/...          defect-free images (required)
  DATA/<kind>/...          one folder per defect kind, any names
                           (e.g. scratch/, stamped/, stain/)
  DATA/masks/<kind>/<file> optional defect masks: same file name (or same
                           name with .png), nonzero = defect

Class folders are searched recursively; hidden folders and `masks/` are not
classes. Images are PNG, JPEG or BMP (any case), any size, grayscale or
colour. A file that cannot be decoded is logged, skipped and listed in
`FolderData.skipped`; it does not stop the run. All images of a data set
must have one size unless `resize_to` is given.

The validation split is ganad_tf.data.splits.validation_mask, stratified by
kind. Finding and decoding single files is image_files.py.
"""

import collections
import dataclasses
import hashlib
import logging
import os
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ganad_tf.data.sizes import format_size
from ganad_tf.data import checks
from ganad_tf.data import image_files
from ganad_tf.data.image_files import MASKS_DIR
from ganad_tf.errors import ConfigError, DatasetError

logger = logging.getLogger('ganad_tf')

NORMAL = 'normal'
CHANNEL_CHOICES = ('auto', '1', '3')


@dataclasses.dataclass
class SkippedFile:
  """An image that could not be used, and why."""
  path: str
  reason: str


@dataclasses.dataclass
class FolderData:
  """Images of one folder, all of one size and channel count.

  Attributes:
    root: the folder read (None for in-memory data).
    kinds: class names; kinds[0] is 'normal', then the defect kinds sorted.
    images: uint8 (N, H, W, C).
    labels: int64 (N,) index into kinds; 0 = normal.
    files: each image's path relative to root.
    masks: per image a bool (H, W) defect mask, or None if it has none.
      Normal images have None (they are defect-free by definition).
    skipped: files that could not be read.
  """
  root: Optional[str]
  kinds: List[str]
  images: np.ndarray
  labels: np.ndarray
  files: List[str]
  masks: List[Optional[np.ndarray]]
  skipped: List[SkippedFile] = dataclasses.field(default_factory=list)

  def __len__(self) -> int:
    return len(self.images)

  @property
  def image_size(self) -> Tuple[int, int]:
    """(height, width)."""
    return tuple(self.images.shape[1:3])

  @property
  def channels(self) -> int:
    return int(self.images.shape[3])

  @property
  def defect_kinds(self) -> List[str]:
    return self.kinds[1:]

  @property
  def is_anomaly(self) -> np.ndarray:
    return self.labels > 0

  def counts(self) -> Dict[str, int]:
    return {kind: int(np.sum(self.labels == index))
            for index, kind in enumerate(self.kinds)}

  def subset(self, indices: Sequence[int]) -> 'FolderData':
    indices = np.asarray(indices, np.int64)
    return FolderData(self.root, list(self.kinds), self.images[indices],
                      self.labels[indices], [self.files[i] for i in indices],
                      [self.masks[i] for i in indices], list(self.skipped))

  def full_masks(self) -> np.ndarray:
    """bool (N, H, W); images without a mask are all False."""
    out = np.zeros((len(self),) + self.image_size, bool)
    for index, mask in enumerate(self.masks):
      if mask is not None:
        out[index] = mask
    return out


def from_arrays(normal_images: np.ndarray,
                anomaly_images: Optional[np.ndarray] = None,
                anomaly_kinds: Optional[Sequence[str]] = None,
                anomaly_masks: Optional[np.ndarray] = None) -> FolderData:
  """Wraps in-memory uint8 images as FolderData.

  Args:
    normal_images: uint8 (N, H, W, C) or (N, H, W).
    anomaly_images: uint8 (M, H, W, C) or (M, H, W), or None.
    anomaly_kinds: kind name of each anomaly image (default 'defect').
    anomaly_masks: optional bool (M, H, W) defect masks.

  Raises:
    InputError: images not uint8 with 1 or 3 channels (checks.py).
    DatasetError: the two sets disagree in shape, or kinds or masks do not
      match the anomaly images.
  """
  parts = [checks.check_uint8_batch(normal_images, 'normal_images', (1, 3))]
  count = 0
  if anomaly_images is not None and len(anomaly_images):
    parts.append(
        checks.check_uint8_batch(anomaly_images, 'anomaly_images', (1, 3)))
    count = len(parts[1])
  if len(parts) == 2 and parts[0].shape[1:] != parts[1].shape[1:]:
    raise DatasetError(
        f'Normal images are {parts[0].shape[1:]} but anomaly images '
        f'{parts[1].shape[1:]}; give both one (height, width, channels).')
  kinds_of = list(anomaly_kinds) if anomaly_kinds is not None else (
      ['defect'] * count)
  if len(kinds_of) != count:
    raise DatasetError(f'{len(kinds_of)} anomaly kinds for {count} anomaly '
                       'images; give one kind per image.')
  kinds = [NORMAL] + sorted(set(kinds_of))
  labels = np.concatenate([np.zeros(len(parts[0]), np.int64),
                           np.array([kinds.index(k) for k in kinds_of],
                                    np.int64)])
  masks: List[Optional[np.ndarray]] = [None] * len(labels)
  if anomaly_masks is not None:
    anomaly_masks = np.asarray(anomaly_masks).astype(bool)
    if anomaly_masks.shape != (count,) + parts[0].shape[1:3]:
      raise DatasetError(f'anomaly_masks must be (M, H, W) = '
                         f'{(count,) + parts[0].shape[1:3]}, got '
                         f'{anomaly_masks.shape}.')
    masks[len(parts[0]):] = list(anomaly_masks)
  files = ([f'normal[{i}]' for i in range(len(parts[0]))] +
           [f'{kind}[{i}]' for i, kind in enumerate(kinds_of)])
  return FolderData(None, kinds, np.concatenate(parts), labels, files, masks)


def class_folders(root: str) -> Dict[str, str]:
  """Kind -> folder: 'normal' plus every other visible non-mask subfolder.

  Raises:
    DatasetError: root missing, empty or without a normal/ folder.
  """
  if not os.path.isdir(root):
    raise DatasetError(
        f'Data folder {root!r} does not exist or is not a folder. Pass the '
        'folder that holds normal/ and one subfolder per defect kind with '
        '--data_dir.')
  entries = sorted(e for e in os.listdir(root) if not e.startswith('.'))
  if not entries:
    raise DatasetError(
        f'Data folder {root!r} is empty. Put defect-free images in '
        f'{os.path.join(root, NORMAL)}/ and defect images in one subfolder '
        'per kind (e.g. scratch/, stain/).')
  folders = {}
  for entry in entries:
    path = os.path.join(root, entry)
    if not os.path.isdir(path) or entry.lower() == MASKS_DIR:
      continue
    kind = NORMAL if entry.lower() == NORMAL else entry
    if kind in folders:
      raise DatasetError(f'{root!r} has two normal folders; keep one named '
                         f'{NORMAL}/.')
    folders[kind] = path
  if NORMAL not in folders:
    loose = [e for e in entries if image_files.is_image_file(e)]
    hint = (f' It holds {len(loose)} loose image(s); move the defect-free '
            f'ones into {NORMAL}/.' if loose else '')
    raise DatasetError(
        f'Data folder {root!r} has no {NORMAL}/ subfolder (found: '
        f'{", ".join(entries[:10]) or "nothing"}).{hint} Put defect-free '
        f'images in {os.path.join(root, NORMAL)}/ and each defect kind in its '
        'own subfolder.')
  return folders


def listing_fingerprint(root: str) -> Optional[str]:
  """A hash of the image files (paths, sizes, times) under root, or None.

  Lets a resumed run notice that the data folder changed.
  """
  if not os.path.isdir(root):
    return None
  digest = hashlib.sha256()
  for current, dirs, names in os.walk(root):
    dirs.sort()
    for name in sorted(names):
      if image_files.is_image_file(name):
        path = os.path.join(current, name)
        stat = os.stat(path)
        digest.update(f'{os.path.relpath(path, root)}|{stat.st_size}|'
                      f'{stat.st_mtime_ns}\n'.encode())
  return digest.hexdigest()[:16]


def parse_channels(channels: Union[str, int]) -> Union[str, int]:
  """'auto', 1 or 3 from a flag value."""
  text = str(channels).strip().lower()
  if text not in CHANNEL_CHOICES:
    raise ConfigError(f'channels={channels!r} must be auto, 1 or 3 '
                      '(--channels).')
  return text if text == 'auto' else int(text)


def load_images(paths: Sequence[str], channels: int,
                image_size: Tuple[int, int],
                resize_to: Optional[Tuple[int, int]] = None,
                resize_mode: str = 'stretch'
                ) -> Tuple[np.ndarray, List[str], List[SkippedFile]]:
  """Reads images for scoring; unreadable or wrongly sized ones are skipped.

  Args:
    paths: image files.
    channels: 1 or 3; images are converted to it.
    image_size: (height, width) every image must have after resizing.
    resize_to: (height, width) to resize every image to first, or None.
    resize_mode: how (image_files.RESIZE_MODES).

  Returns:
    (uint8 (N, H, W, channels), the paths read, the files skipped).
  """
  images, used, skipped = [], [], []
  for path in paths:
    try:
      image = image_files.read_image(path, channels, resize_to, resize_mode)
    except (OSError, ValueError, SyntaxError) as error:
      skipped.append(_skip(path, f'cannot be decoded ({error})'))
      continue
    if image.shape[:2] != tuple(image_size):
      skipped.append(_skip(
          path, f'is {format_size(image.shape[:2])}, the model '
          f'takes {format_size(image_size)}; resize it or train with '
          '--resize_to'))
      continue
    images.append(image)
    used.append(path)
  array = (np.stack(images) if images else
           np.zeros((0,) + tuple(image_size) + (channels,), np.uint8))
  return array, used, skipped


def _skip(path: str, reason: str) -> SkippedFile:
  logger.warning('Skipping %s: it %s.', path, reason)
  return SkippedFile(path, reason)


def _mask_path(root: str, kind_folder: str, image_path: str) -> Optional[str]:
  """masks/<kind>/<same relative path>, or the same with a .png suffix."""
  relative = os.path.relpath(image_path, kind_folder)
  base = os.path.join(root, MASKS_DIR, os.path.basename(kind_folder),
                      relative)
  for candidate in (base, os.path.splitext(base)[0] + '.png'):
    if os.path.isfile(candidate):
      return candidate
  return None


def _size_error(root: str, sizes: Dict[Tuple[int, int], List[str]]):
  common = max(sizes, key=lambda s: len(sizes[s]))
  lines = [f'  {format_size(size)}: {len(files)} image(s), e.g. '
           f'{os.path.relpath(files[0], root)}'
           for size, files in sorted(sizes.items(),
                                     key=lambda item: -len(item[1]))]
  raise DatasetError(
      f'Images in {root!r} have {len(sizes)} different sizes (WIDTHxHEIGHT):\n'
      + '\n'.join(lines[:10]) +
      f'\nResize them all to one size with --resize_to=WIDTHxHEIGHT (e.g. '
      f'--resize_to={format_size(common)}), or remove the odd ones.')


def load_folder(root: str, channels: Union[str, int] = 'auto',
                resize_to: Optional[Tuple[int, int]] = None,
                require_defects: bool = True,
                load_masks: bool = True,
                resize_mode: str = 'stretch') -> FolderData:
  """Reads a data folder (see the module docstring).

  Args:
    root: the data folder.
    channels: 'auto' (1 if every image is grayscale, else 3), 1 or 3.
    resize_to: (height, width) to resize every image (and mask) to; needed
      when the images have different sizes.
    require_defects: raise if there is no defect folder (set False to train
      on normal images only).
    load_masks: read masks/<kind>/<file> where present.
    resize_mode: how images (and masks) reach resize_to: 'stretch' or
      'pad' (keeps the aspect ratio; image_files.RESIZE_MODES).

  Returns:
    FolderData with normal images first, then each defect kind.

  Raises:
    DatasetError: folder missing or empty, no normal/ folder, no defect
      folder (when required), a class folder without a readable image, or
      mixed image sizes without resize_to.
  """
  channels = parse_channels(channels)
  folders = class_folders(root)
  defect_kinds = sorted(k for k in folders if k != NORMAL)
  if require_defects and not defect_kinds:
    raise DatasetError(
        f'{root!r} has a {NORMAL}/ folder but no defect folders. The anomaly '
        'losses of the method (ABC and the anomaly adversarial loss) learn '
        'from defect images: add one subfolder per defect kind (e.g. '
        'scratch/) next to normal/. To train on normal images only, pass '
        '--w_abc=0 --w_anomaly_adv=0; the threshold is then set from a '
        'false-positive rate on normal images (--target_fpr).')
  kinds = [NORMAL] + defect_kinds

  # Pass 1: headers only, so size problems are reported before any decoding.
  entries = []  # (kind index, path, size)
  skipped: List[SkippedFile] = []
  sizes: Dict[Tuple[int, int], List[str]] = collections.defaultdict(list)
  for index, kind in enumerate(kinds):
    paths = image_files.walk_images(folders[kind])
    if not paths:
      raise DatasetError(
          f'Class folder {folders[kind]!r} holds no PNG/JPEG/BMP images. Add '
          f'images to it{" or delete it" if kind != NORMAL else ""}.')
    for path in paths:
      try:
        size, _ = image_files.read_header(path)
      except (OSError, ValueError, SyntaxError) as error:
        skipped.append(_skip(path, f'cannot be opened as an image ({error})'))
        continue
      entries.append((index, path))
      sizes[size].append(path)
  if resize_to is None and len(sizes) > 1:
    _size_error(root, sizes)

  # Pass 2: decode.
  arrays, labels, files, masks = [], [], [], []
  for index, path in entries:
    try:
      array = image_files.decode(path, resize_to, resize_mode)
    except (OSError, ValueError, SyntaxError) as error:
      skipped.append(_skip(path, f'cannot be decoded ({error})'))
      continue
    arrays.append(array)
    labels.append(index)
    files.append(os.path.relpath(path, root))
    mask = None
    if load_masks and index > 0:
      mask_path = _mask_path(root, folders[kinds[index]], path)
      if mask_path:
        mask = image_files.read_mask(mask_path, array.shape[:2], resize_mode)
    masks.append(mask)
  labels = np.array(labels, np.int64)
  for index, kind in enumerate(kinds):
    if not np.any(labels == index):
      bad = [s for s in skipped if s.path.startswith(folders[kind] + os.sep)]
      raise DatasetError(
          f'None of the {len(bad)} image(s) in {folders[kind]!r} can be read '
          f'(e.g. {bad[0].path}: {bad[0].reason}). Replace them with valid '
          'PNG/JPEG/BMP files.')

  if channels == 'auto':
    channels = 1 if all(a.ndim == 2 for a in arrays) else 3
  images = np.empty((len(arrays),) + arrays[0].shape[:2] + (channels,),
                    np.uint8)
  for index in range(len(arrays)):
    images[index] = image_files.to_channels(arrays[index], channels)
    arrays[index] = None  # frees memory as the batch fills
  data = FolderData(os.path.abspath(root), kinds, images, labels, files,
                    masks, skipped)
  with_masks = sum(m is not None for m in masks)
  logger.info(
      'Read %s: %s; %s, %d channel(s); %d defect mask(s); %d file(s) skipped.',
      root, ', '.join(f'{k}={v}' for k, v in data.counts().items()),
      format_size(data.image_size), channels, with_masks,
      len(skipped))
  return data
