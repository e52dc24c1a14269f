"""Writing a synthetic data set as PNG folders, masks and a manifest."""

import concurrent.futures
import contextlib
import io
import logging
import multiprocessing
import os
import re
import time
from typing import Any, Dict

import numpy as np
from PIL import Image

from ganad_tf import io_utils
from ganad_tf.data.synthetic import samples
from ganad_tf.data.synthetic.config import KINDS, SyntheticConfig
from ganad_tf.data.synthetic.config import is_whole_number
from ganad_tf.errors import ConfigError, OutputError

logger = logging.getLogger(__name__)

MASKS_DIR = 'masks'
MANIFEST = 'manifest.json'
MANIFEST_VERSION = 1


def file_name(kind: str, index: int) -> str:
  return f'{kind}_{index:04d}.png'


_OWN_FILE = re.compile(r'^(%s)_\d{4,}\.png$' % '|'.join(KINDS))


def _png_bytes(array: np.ndarray) -> bytes:
  buffer = io.BytesIO()
  # Level 1 is several times faster than the default and only ~10% larger
  # on noisy metal texture, which barely compresses anyway.
  Image.fromarray(array).save(buffer, format='PNG', compress_level=1)
  return buffer.getvalue()


def _write_bytes(path: str, data: bytes):
  with open(path, 'wb') as handle:
    handle.write(data)


def _write_sample(output_dir: str, config: SyntheticConfig, kind: str,
                  index: int) -> Dict[str, Any]:
  """Renders one image and writes it and its mask; returns its record."""
  image, mask, defects = samples.render_sample(config, kind, index)
  name = file_name(kind, index)
  image_file = os.path.join(kind, name)
  mask_file = os.path.join(MASKS_DIR, kind, name)
  _write_bytes(os.path.join(output_dir, image_file),
               _png_bytes(image[..., 0] if config.channels == 1 else image))
  _write_bytes(os.path.join(output_dir, mask_file),
               _png_bytes(mask.astype(np.uint8) * 255))
  return {'file': image_file, 'mask': mask_file, 'kind': kind,
          'index': index, 'defects': defects}


def _write_sample_star(args) -> Dict[str, Any]:
  return _write_sample(*args)


def generate_dataset(output_dir: str, config: SyntheticConfig,
                     overwrite: bool = False, num_workers: int = 1,
                     log_every_secs: float = 10.0) -> Dict[str, Any]:
  """Writes the data set as PNG folders plus masks and a manifest.

  Layout: output_dir/<kind>/<kind>_NNNN.png for every kind,
  output_dir/masks/<kind>/<same name> (0 or 255; all 0 for normal images)
  and output_dir/manifest.json, written last so its presence means the set
  is complete. The files do not depend on num_workers.

  Args:
    output_dir: folder to fill; created if missing.
    config: what to render; validated here.
    overwrite: allow a folder that already holds a generated set; files of
      ours that the new set does not contain are removed so no stale image
      survives.
    num_workers: processes rendering in parallel; 0 means one per CPU.
    log_every_secs: seconds between progress log lines.

  Returns:
    The manifest: config, counts, and per image its file, mask file and
    defects (kind, bbox [x0, y0, x1, y1] with x1, y1 exclusive, area, ...).

  Raises:
    ConfigError: invalid config or num_workers.
    OutputError: the folder is not writable, or holds a previous set and
      overwrite is False.
  """
  config.validate()
  if not is_whole_number(num_workers) or num_workers < 0:
    raise ConfigError(f'num_workers={num_workers!r} must be a whole number '
                      '>= 0 (0 = one per CPU) (flag --num_workers).')
  output_dir = io_utils.ensure_writable_dir(output_dir)
  existing = _existing_files(output_dir)
  manifest_path = os.path.join(output_dir, MANIFEST)
  if (existing or os.path.exists(manifest_path)) and not overwrite:
    raise OutputError(
        f'{output_dir!r} already holds a generated data set '
        f'({len(existing)} images and masks); pass overwrite=True '
        '(--overwrite) to replace it, or choose an empty folder.')
  if os.path.exists(manifest_path):
    # Until the new manifest lands, the folder must not look complete.
    os.remove(manifest_path)
  for kind in KINDS:
    os.makedirs(os.path.join(output_dir, kind), exist_ok=True)
    os.makedirs(os.path.join(output_dir, MASKS_DIR, kind), exist_ok=True)

  plan = samples.image_plan(config)
  jobs = [(output_dir, config, kind, index) for kind, index in plan]
  workers = min(num_workers or os.cpu_count() or 1, len(jobs))
  records = []
  start = last_log = time.monotonic()
  with contextlib.ExitStack() as stack:
    if workers > 1:
      # Spawned workers import only numpy and pillow, so this is safe even
      # when the caller has already started TensorFlow's threads.
      pool = stack.enter_context(concurrent.futures.ProcessPoolExecutor(
          workers, mp_context=multiprocessing.get_context('spawn')))
      results = pool.map(_write_sample_star, jobs, chunksize=4)
    else:
      results = map(_write_sample_star, jobs)
    for record in results:
      records.append(record)
      now = time.monotonic()
      if now - last_log >= log_every_secs or len(records) == len(jobs):
        last_log = now
        rate = len(records) / max(now - start, 1e-9)
        logger.info('Synthetic images: %d/%d written to %s (%.1f images/s, '
                    '%.0f s left).', len(records), len(jobs), output_dir,
                    rate, (len(jobs) - len(records)) / rate)
  written = {path for r in records for path in (r['file'], r['mask'])}
  for stale in sorted(existing - written):
    os.remove(os.path.join(output_dir, stale))

  manifest = {
      'version': MANIFEST_VERSION,
      'config': config.to_dict(),
      'counts': {kind: config.counts.get(kind, 0) for kind in KINDS},
      'bbox_format': 'x0, y0, x1, y1 in pixels; x1 and y1 exclusive',
      'images': records,
  }
  io_utils.write_json(manifest_path, manifest)
  logger.info('Synthetic data set of %d images written to %s in %.1f s.',
              len(records), output_dir, time.monotonic() - start)
  return manifest


def _existing_files(output_dir: str) -> set:
  """Relative paths of files a previous generate_dataset left here."""
  found = set()
  for kind in KINDS:
    for folder in (kind, os.path.join(MASKS_DIR, kind)):
      path = os.path.join(output_dir, folder)
      if os.path.isdir(path):
        found.update(os.path.join(folder, name) for name in os.listdir(path)
                     if _OWN_FILE.match(name))
  return found


def load_manifest(output_dir: str) -> Dict[str, Any]:
  """Reads the manifest of a generated set; its absence means incomplete."""
  path = os.path.join(output_dir, MANIFEST)
  if not os.path.exists(path):
    raise OutputError(f'No {MANIFEST} in {output_dir!r}: the set is missing '
                      'or its generation did not finish; rerun '
                      'experiments/make_synthetic.py.')
  return io_utils.read_json(path)
