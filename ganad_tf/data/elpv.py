"""The public ELPV solar-cell images as an inspection folder (optional).

ELPV (Buerhop-Lutz et al. 2018; Deitsch et al. 2019) has 2,624
electroluminescence images of solar cells, 300x300 8-bit gray, each with a
defect probability (0, 1/3, 2/3 or 1) and a cell type (mono, poly). It
ships in the `elpv-dataset` package: `pip install 'ganad_tf[elpv]'`.

`export_elpv` lays it out for `experiments.train_folder` and
`experiments.predict --evaluate`:

  OUT/train/normal/      functional cells (p = 0), the training share
  OUT/train/defective/   defective cells (p = 1), the training share
  OUT/test/normal/       the held-out share of each: never used for a
  OUT/test/defective/    choice (validation comes out of train/)
  OUT/uncertain/p033/    cells the experts were unsure of (p = 1/3, 2/3),
  OUT/uncertain/p067/    kept apart for a separate report
  OUT/manifest.json      every file: source, probability, type, split

The split is seeded and stratified by (label, cell type). Files are copied
byte for byte. The folder is built beside OUT and renamed into place, so
an interrupted export leaves nothing half-written.
"""

import logging
import os
import shutil
import tempfile
from typing import Any, Dict, Optional

import numpy as np

from ganad_tf import io_utils
from ganad_tf.data import splits
from ganad_tf.errors import ConfigError, DatasetError, OutputError

logger = logging.getLogger('ganad_tf')

MANIFEST = 'manifest.json'
NORMAL, DEFECTIVE = 'normal', 'defective'
UNCERTAIN_FOLDERS = {1 / 3: 'p033', 2 / 3: 'p067'}
CELL_TYPES = ('mono', 'poly')
INSTALL_HINT = ("pip install 'ganad_tf[elpv]' (the elpv-dataset package)")


def default_labels_csv() -> str:
  """labels.csv of the installed elpv-dataset package."""
  try:
    import elpv_dataset  # pylint: disable=import-outside-toplevel
  except ImportError as error:
    raise DatasetError(f'The ELPV images are not installed; {INSTALL_HINT}, '
                       'or pass the folder holding labels.csv and images/ '
                       '(--elpv_dir).') from error
  return os.path.join(os.path.dirname(elpv_dataset.__file__), 'data',
                      'labels.csv')


def read_labels(labels_csv: str):
  """(relative image paths, probabilities, cell types) from labels.csv.

  Raises:
    DatasetError: the file is missing, malformed, or names unknown values.
  """
  if not os.path.isfile(labels_csv):
    raise DatasetError(f'{labels_csv} does not exist; {INSTALL_HINT}.')
  paths, probabilities, types = [], [], []
  with open(labels_csv) as handle:
    for number, line in enumerate(handle, 1):
      fields = line.split()
      if not fields:
        continue
      try:
        path, probability, cell_type = fields
        probability = float(probability)
      except ValueError as error:
        raise DatasetError(
            f'{labels_csv}:{number}: expected "images/NAME.png PROBABILITY '
            f'TYPE", got {line.strip()!r}.') from error
      if cell_type not in CELL_TYPES or not any(
          np.isclose(probability, p) for p in (0, 1 / 3, 2 / 3, 1)):
        raise DatasetError(
            f'{labels_csv}:{number}: probability {probability} or type '
            f'{cell_type!r} is not one of 0, 1/3, 2/3, 1 and {CELL_TYPES}.')
      paths.append(path)
      probabilities.append(probability)
      types.append(cell_type)
  if not paths:
    raise DatasetError(f'{labels_csv} lists no images.')
  return paths, np.array(probabilities), np.array(types)


def _uncertain_folder(probability: float) -> str:
  for value, name in UNCERTAIN_FOLDERS.items():
    if np.isclose(probability, value):
      return name
  raise AssertionError(probability)


def export_elpv(output_dir: str, test_fraction: float = 0.25, seed: int = 0,
                labels_csv: Optional[str] = None,
                overwrite: bool = False) -> Dict[str, Any]:
  """Writes the ELPV folder layout (see the module docstring).

  Args:
    output_dir: the folder to create.
    test_fraction: share of each (label, cell type) group held out as test.
    seed: seed of the split.
    labels_csv: ELPV's labels.csv with images beside it; default the
      installed elpv-dataset package's.
    overwrite: replace an existing export.

  Returns:
    The manifest: settings, counts per split and label, and every file.

  Raises:
    DatasetError: ELPV is not installed or an image is missing.
    OutputError: output_dir exists (without overwrite).
    ConfigError: test_fraction is outside (0, 1).
  """
  if not 0 < test_fraction < 1:
    raise ConfigError(f'test_fraction={test_fraction} must be in (0, 1).')
  labels_csv = labels_csv or default_labels_csv()
  paths, probabilities, types = read_labels(labels_csv)
  source_dir = os.path.dirname(os.path.abspath(labels_csv))
  output_dir = os.path.abspath(output_dir)
  if os.path.exists(output_dir) and not overwrite:
    raise OutputError(f'{output_dir} already exists; pass --overwrite to '
                      'replace it, or choose another --output_dir.')
  certain = np.isclose(probabilities, 0) | np.isclose(probabilities, 1)
  is_defective = np.isclose(probabilities, 1)
  # Strata: label x cell type; uncertain cells are not split.
  strata = np.array([f'{int(d)}_{t}' for d, t in zip(is_defective, types)])
  in_test = np.zeros(len(paths), bool)
  in_test[certain] = splits.validation_mask(strata[certain], test_fraction,
                                            seed)
  parent = os.path.dirname(output_dir)
  os.makedirs(parent, exist_ok=True)
  staging = tempfile.mkdtemp(prefix='.elpv_', dir=parent)
  try:
    files = []
    for index, path in enumerate(paths):
      if certain[index]:
        split = 'test' if in_test[index] else 'train'
        folder = os.path.join(split, DEFECTIVE if is_defective[index]
                              else NORMAL)
      else:
        split = 'uncertain'
        folder = os.path.join(split, _uncertain_folder(probabilities[index]))
      source = os.path.join(source_dir, path)
      if not os.path.isfile(source):
        raise DatasetError(f'{source} (listed in {labels_csv}) is missing; '
                           f'reinstall with {INSTALL_HINT}.')
      target = os.path.join(folder, os.path.basename(path))
      os.makedirs(os.path.join(staging, folder), exist_ok=True)
      shutil.copyfile(source, os.path.join(staging, target))
      files.append({'file': target, 'source': path,
                    'probability': round(float(probabilities[index]), 4),
                    'type': str(types[index]), 'split': split})
    counts: Dict[str, Dict[str, int]] = {}
    for entry in files:
      split, label = entry['file'].split(os.sep)[:2]
      counts.setdefault(split, {}).setdefault(label, 0)
      counts[split][label] += 1
    manifest = {'source': labels_csv, 'test_fraction': test_fraction,
                'seed': seed, 'stratified_by': ['label', 'type'],
                'counts': counts, 'files': files}
    io_utils.write_json(os.path.join(staging, MANIFEST), manifest)
    if os.path.exists(output_dir):
      shutil.rmtree(output_dir)
    os.replace(staging, output_dir)
  except BaseException:
    shutil.rmtree(staging, ignore_errors=True)
    raise
  logger.info('Wrote %s: %s.', output_dir, counts)
  return manifest
