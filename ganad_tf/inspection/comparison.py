"""The paper's Table 4 layout for the detectors of one data set.

One row per trained detector (the GAN, the two baselines, and any other
trained variant, e.g. a GAN lever, named by its folder): validation
AUROC from train_folder's results.json, and from predict --evaluate's
evaluation.json on held-out images the test AUROC, precision, recall and
F1 at the calibrated threshold, how many images that flags, pixel AUROC
where masks exist, and each defect kind's AUROC. Nothing is retrained.
"""

import os
from typing import Any, Dict, List, Optional, Tuple

from ganad_tf import io_utils
from ganad_tf.errors import DatasetError
from ganad_tf.inspection import workflow

MODEL_ORDER = ('gan', 'classifier', 'autoencoder')
ROW_TITLES = {'gan': "GAN (the paper's method)",
              'classifier': 'supervised classifier (baseline)',
              'autoencoder': 'auto-encoder (G, L1 on normals)'}


def find_detectors(runs_dir: str) -> List[Tuple[str, str]]:
  """(model kind, folder) of each detector under `runs_dir` (its subfolders
  that hold a train_folder results.json): GAN first, then the baselines;
  within a kind by folder name.

  Raises:
    DatasetError: `runs_dir` is not a folder or holds no detector.
  """
  if not os.path.isdir(runs_dir):
    raise DatasetError(f'{runs_dir!r} is not a folder; pass the folder that '
                       'holds the train_folder output folders, one per '
                       'detector.')
  found: List[Tuple[str, str]] = []
  for name in sorted(os.listdir(runs_dir)):
    path = os.path.join(runs_dir, name, workflow.RESULTS_FILE)
    if os.path.isfile(path):
      kind = io_utils.read_json(path)['config']['model'].get('kind', 'gan')
      found.append((kind, os.path.join(runs_dir, name)))
  if not found:
    raise DatasetError(
        f'No detector in {runs_dir!r}: expected subfolders with a '
        f'{workflow.RESULTS_FILE} written by experiments.train_folder.')
  return sorted(found, key=lambda item: MODEL_ORDER.index(item[0]))


def detector_row(folder: str) -> Dict[str, Any]:
  """One detector's numbers: its folder must hold train_folder's
  results.json; evaluation.json (predict --evaluate) adds the test
  columns."""
  trained = io_utils.read_json(os.path.join(folder, workflow.RESULTS_FILE))
  kind = trained['config']['model'].get('kind', 'gan')
  row: Dict[str, Any] = {
      'model': kind,
      'name': os.path.basename(os.path.normpath(folder)),
      'validation_auroc': trained['validation']['auroc'],  # may be None
      'train_minutes': trained['training']['train_seconds'] / 60,
  }
  evaluation_path = os.path.join(folder, workflow.EVALUATION_FILE)
  if not os.path.isfile(evaluation_path):
    return row
  test = io_utils.read_json(evaluation_path)
  flagged = test['true_positives'] + test['false_positives']
  row.update(
      test_auroc=test['auroc'], precision=test['precision'],
      recall=test['recall'], f1=test['f1'], flagged=flagged,
      num_test=flagged + test['true_negatives'] + test['false_negatives'],
      pixel_auroc=(test['pixel']['auroc_sampled'] if test.get('pixel')
                   else None),
      per_kind={name: values['auroc']
                for name, values in test.get('per_kind', {}).items()})
  return row


def _cell(value: Optional[float], digits: int = 2) -> str:
  # None: not defined here (e.g. an AUROC on one class only).
  return 'n/a' if value is None else f'{value:.{digits}f}'


def _titles(rows: List[Dict[str, Any]]) -> List[str]:
  """Each row's model title; where a kind has several rows (e.g. a GAN
  lever beside the default GAN), each also names its folder."""
  kinds = [row['model'] for row in rows]
  return [ROW_TITLES[row['model']] + (
      f': {row["name"]}' if kinds.count(row['model']) > 1 and 'name' in row
      else '') for row in rows]


def format_comparison(rows: List[Dict[str, Any]]) -> str:
  """The table (markdown) of `detector_row` rows; with more than one
  defect kind, a second table of test AUROC per kind."""
  lines = ['| model | validation AUROC | test AUROC | precision | recall | '
           'F1 | flagged (test) | pixel AUROC | train minutes |',
           '|---|---:|---:|---:|---:|---:|---:|---:|---:|']
  titles = _titles(rows)
  for row, title in zip(rows, titles):
    if 'test_auroc' not in row:
      lines.append(f'| {title} | {_cell(row["validation_auroc"])} | not '
                   'evaluated (run predict --evaluate) | | | | | | '
                   f'{row["train_minutes"]:.1f} |')
      continue
    pixel = ('no masks' if row['pixel_auroc'] is None
             else f'{row["pixel_auroc"]:.2f}')
    lines.append(
        f'| {title} | {_cell(row["validation_auroc"])} | '
        f'{_cell(row["test_auroc"])} | {_cell(row["precision"], 3)} | '
        f'{_cell(row["recall"], 3)} | {_cell(row["f1"], 3)} | '
        f'{row["flagged"]}/{row["num_test"]} | {pixel} | '
        f'{row["train_minutes"]:.1f} |')
  kinds = sorted({kind for row in rows for kind in row.get('per_kind', {})})
  if len(kinds) > 1:
    lines += ['', 'Test AUROC per defect kind (each kind against the normal '
              'images):', '',
              '| model | ' + ' | '.join(kinds) + ' |',
              '|---|' + '---:|' * len(kinds)]
    for row, title in zip(rows, titles):
      if 'per_kind' in row:
        lines.append(f'| {title} | ' + ' | '.join(
            _cell(row['per_kind'][kind]) if kind in row['per_kind'] else ''
            for kind in kinds) + ' |')
  return '\n'.join(lines) + '\n'


def compare_detectors(runs_dir: str,
                      table_path: Optional[str] = None) -> str:
  """Builds the table for the detectors under `runs_dir` and writes it
  (atomically) to table_path, by default runs_dir/table.md."""
  rows = [detector_row(folder) for _, folder in find_detectors(runs_dir)]
  text = format_comparison(rows)
  io_utils.write_text(table_path or os.path.join(runs_dir, 'table.md'), text)
  return text

