"""The detectors' comparison table (experiments.compare_detectors)."""

import os

import pytest

from ganad_tf import io_utils
from ganad_tf.errors import DatasetError
from ganad_tf.inspection import comparison
from ganad_tf.inspection import workflow


def _write_detector(folder, kind, validation_auroc, seconds, test=None):
  os.makedirs(folder)
  io_utils.write_json(os.path.join(folder, workflow.RESULTS_FILE), {
      'config': {'model': {'kind': kind}},
      'validation': {'auroc': validation_auroc},
      'training': {'train_seconds': seconds}})
  if test is not None:
    io_utils.write_json(os.path.join(folder, workflow.EVALUATION_FILE), test)


def _evaluation(auroc, tp, fp, tn, fn, pixel=None, per_kind=None):
  precision = tp / (tp + fp)
  recall = tp / (tp + fn)
  return {'auroc': auroc, 'precision': precision, 'recall': recall,
          'f1': 2 * precision * recall / (precision + recall),
          'true_positives': tp, 'false_positives': fp, 'true_negatives': tn,
          'false_negatives': fn,
          'pixel': {'auroc_sampled': pixel} if pixel is not None else None,
          'per_kind': {k: {'auroc': v} for k, v in (per_kind or {}).items()}}


def test_rows_in_model_order_with_every_column(tmp_path):
  runs = str(tmp_path)
  # Folder names do not matter; the kind comes from each results.json.
  _write_detector(os.path.join(runs, 'b'), 'classifier', 85.0, 120,
                  _evaluation(87.5, tp=6, fp=2, tn=10, fn=2,
                              per_kind={'crack': 90.0, 'stain': 80.0}))
  _write_detector(os.path.join(runs, 'a'), 'gan', 76.25, 540,
                  _evaluation(80.0, tp=3, fp=1, tn=11, fn=5, pixel=78.5,
                              per_kind={'crack': 70.0, 'stain': 88.0}))
  _write_detector(os.path.join(runs, 'c'), 'autoencoder', 40.0, 60)
  os.makedirs(os.path.join(runs, 'not_a_detector'))
  assert comparison.find_detectors(runs) == [
      ('gan', os.path.join(runs, 'a')), ('classifier', os.path.join(runs, 'b')),
      ('autoencoder', os.path.join(runs, 'c'))]
  text = comparison.compare_detectors(runs)
  assert open(os.path.join(runs, 'table.md')).read() == text
  lines = text.splitlines()
  # precision 3/4, recall 3/8, F1 0.5; 4 of 20 test images flagged.
  assert lines[2] == ("| GAN (the paper's method) | 76.25 | 80.00 | 0.750 | "
                      '0.375 | 0.500 | 4/20 | 78.50 | 9.0 |')
  # precision 6/8, recall 6/8: F1 0.75; no masks, so no pixel AUROC.
  assert lines[3] == ('| supervised classifier (baseline) | 85.00 | 87.50 | '
                      '0.750 | 0.750 | 0.750 | 8/20 | no masks | 2.0 |')
  assert lines[4].startswith('| auto-encoder (G, L1 on normals) | 40.00 | '
                             'not evaluated')
  assert "| GAN (the paper's method) | 70.00 | 88.00 |" in text
  assert '| supervised classifier (baseline) | 90.00 | 80.00 |' in text


def test_bad_folders_are_named(tmp_path):
  with pytest.raises(DatasetError, match='not a folder'):
    comparison.find_detectors(str(tmp_path / 'missing'))
  with pytest.raises(DatasetError, match='No detector'):
    comparison.find_detectors(str(tmp_path))


def test_two_detectors_of_one_kind_are_named_by_folder(tmp_path):
  # A GAN lever beside the default GAN: both rows, each titled by folder,
  # GANs first; the one classifier keeps its plain title.
  runs = str(tmp_path)
  _write_detector(os.path.join(runs, 'gan_longer'), 'gan', 83.0, 1080,
                  _evaluation(84.0, tp=6, fp=2, tn=10, fn=2))
  _write_detector(os.path.join(runs, 'classifier'), 'classifier', 85.0, 120)
  _write_detector(os.path.join(runs, 'gan'), 'gan', 76.0, 540)
  lines = comparison.compare_detectors(runs).splitlines()
  assert [line.split(' | ')[0] for line in lines[2:]] == [
      "| GAN (the paper's method): gan",
      "| GAN (the paper's method): gan_longer",
      '| supervised classifier (baseline)']
  assert lines[3].startswith("| GAN (the paper's method): gan_longer | 83.00 "
                             '| 84.00 |')
