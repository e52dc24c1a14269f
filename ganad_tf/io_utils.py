"""Atomic file writes and output-folder checks.

Every result file is written to a temporary file in the same folder, flushed
to disk and renamed over the target, so a crash leaves either the old file or
the new one, never a truncated file that a rerun would trust.
"""

import contextlib
import io
import json
import os
import tempfile
from typing import Any, Dict, Iterator

import numpy as np

from ganad_tf.errors import OutputError


def _default_file_mode() -> int:
  """The mode open() would give a new file (0o666 less the umask)."""
  # os.umask can only be read by setting it; restore it at once.
  umask = os.umask(0o022)
  os.umask(umask)
  return 0o666 & ~umask


_WRITABLE_FIX = ('Pass a writable folder with --output_dir, or fix its '
                 'permissions or free disk space.')

# Read once at import, before worker threads exist: reading the umask
# briefly changes it for the whole process.
_NEW_FILE_MODE = _default_file_mode()


@contextlib.contextmanager
def _atomic_path(path: str, suffix: str = '.tmp') -> Iterator[str]:
  """A temporary path beside `path`, renamed over it if the block succeeds
  and removed if it fails. The file gets normal permissions (mkstemp makes
  it readable by its owner only)."""
  folder = os.path.dirname(os.path.abspath(path))
  os.makedirs(folder, exist_ok=True)
  fd, tmp_path = tempfile.mkstemp(
      dir=folder, prefix='.' + os.path.basename(path) + '.', suffix=suffix)
  os.close(fd)
  try:
    yield tmp_path
    os.chmod(tmp_path, _NEW_FILE_MODE)
    os.replace(tmp_path, path)
  except BaseException:
    with contextlib.suppress(OSError):
      os.remove(tmp_path)
    raise


@contextlib.contextmanager
def atomic_open(path: str, mode: str = 'w') -> Iterator[io.IOBase]:
  """Opens a temporary file that replaces `path` only if the block succeeds."""
  if mode not in ('w', 'wb'):
    raise ValueError(f'atomic_open supports modes "w" and "wb", not {mode!r}')
  with _atomic_path(path) as tmp_path, open(tmp_path, mode) as handle:
    yield handle
    handle.flush()
    os.fsync(handle.fileno())


def write_text(path: str, text: str):
  with atomic_open(path, 'w') as handle:
    handle.write(text)


def write_json(path: str, values: Dict[str, Any]):
  write_text(path, json.dumps(values, indent=2, sort_keys=True,
                              default=_json_default) + '\n')


def _json_default(value):
  if isinstance(value, np.generic):
    return value.item()
  if isinstance(value, np.ndarray):
    return value.tolist()
  raise TypeError(f'{type(value).__name__} is not JSON serialisable')


def read_json(path: str) -> Dict[str, Any]:
  """Reads a JSON file; a truncated or corrupt file raises ValueError."""
  with open(path) as handle:
    return json.load(handle)


def save_npz(path: str, **arrays: np.ndarray):
  with atomic_open(path, 'wb') as handle:
    np.savez_compressed(handle, **arrays)


def save_keras_model(path: str, model) -> None:
  """Saves a Keras model atomically (Keras needs the .keras suffix)."""
  with _atomic_path(path, suffix='.keras') as tmp_path:
    model.save(tmp_path)


def _probe_write(folder: str) -> None:
  """Creates and removes a file in `folder`; raises OSError if it cannot.

  os.access trusts permission bits, which root ignores and procfs-like file
  systems do not honour: only creating a file shows it can be done.
  """
  fd, probe = tempfile.mkstemp(dir=folder, prefix='.write_probe.')
  os.close(fd)
  os.remove(probe)


def check_writable_location(path: str) -> str:
  """Checks that `path` is, or can be created as, a writable folder.

  Leaves nothing behind (a probe file in the nearest existing folder is
  removed at once), so a run that fails later leaves no empty folder.

  Raises:
    OutputError: naming the folder and what to do.
  """
  path = os.path.abspath(path)
  fix = _WRITABLE_FIX
  if os.path.exists(path) and not os.path.isdir(path):
    raise OutputError(f'Cannot write to output folder {path!r}: it is a file. '
                      + fix)
  existing = path
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
    raise OutputError(f'Cannot write to output folder {path!r}: '
                      f'{existing!r} is not a writable folder. ' + fix)
  try:
    _probe_write(existing)
  except OSError as error:
    raise OutputError(f'Cannot write to output folder {path!r}: '
                      f'{existing!r} is not a writable folder '
                      f'({error.strerror or error}). ' + fix) from error
  return path


def ensure_writable_dir(path: str) -> str:
  """Creates `path` if needed and checks that files can be written in it.

  Raises:
    OutputError: the folder cannot be created or written, naming the folder
      and what to do.
  """
  path = os.path.abspath(path)
  try:
    os.makedirs(path, exist_ok=True)
    _probe_write(path)
  except OSError as error:
    raise OutputError(
        f'Cannot write to output folder {path!r} ({error.strerror or error}). '
        + _WRITABLE_FIX) from error
  return path
