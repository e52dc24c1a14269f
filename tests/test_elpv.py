"""The ELPV export, on a few stand-in images laid out like the package."""

import json
import os

import numpy as np
import pytest

from ganad_tf.data import elpv
from ganad_tf.data import folder_data
from ganad_tf.errors import DatasetError, OutputError


def _fake_elpv(folder, rows):
  """labels.csv and images/ as the elpv-dataset package ships them."""
  from PIL import Image
  os.makedirs(folder / 'images')
  lines = []
  for index, (probability, cell_type) in enumerate(rows):
    name = f'images/cell{index:04d}.png'
    pixels = np.full((12, 12), index * 5 % 256, np.uint8)
    Image.fromarray(pixels).save(folder / name)
    lines.append(f'{name} {probability} {cell_type}')
  (folder / 'labels.csv').write_text('\n'.join(lines) + '\n')
  return str(folder / 'labels.csv')


ROWS = ([(0.0, 'mono')] * 8 + [(0.0, 'poly')] * 8 + [(1.0, 'mono')] * 4 +
        [(1.0, 'poly')] * 4 + [(0.3333333333333333, 'poly')] * 3 +
        [(0.6666666666666666, 'mono')] * 2)


def test_export_splits_by_label_and_type_and_keeps_uncertain_apart(tmp_path):
  labels = _fake_elpv(tmp_path / 'src', ROWS)
  out = str(tmp_path / 'elpv')
  manifest = elpv.export_elpv(out, test_fraction=0.25, seed=0,
                              labels_csv=labels)
  assert manifest['counts'] == {
      'train': {'normal': 12, 'defective': 6},
      'test': {'normal': 4, 'defective': 2},
      'uncertain': {'p033': 3, 'p067': 2}}
  by_split = {}
  for entry in manifest['files']:
    by_split.setdefault(entry['split'], []).append(entry)
  # Each (label, type) group gives a quarter of its cells to test.
  test_groups = sorted((e['probability'], e['type']) for e in by_split['test'])
  assert test_groups == [(0.0, 'mono')] * 2 + [(0.0, 'poly')] * 2 + [
      (1.0, 'mono'), (1.0, 'poly')]
  # Files are the originals, byte for byte, in the train_folder layout.
  for entry in manifest['files']:
    with open(os.path.join(out, entry['file']), 'rb') as copy, open(
        os.path.join(tmp_path / 'src', entry['source']), 'rb') as source:
      assert copy.read() == source.read()
  data = folder_data.load_folder(os.path.join(out, 'train'))
  assert data.kinds == ['normal', 'defective']
  assert data.counts() == {'normal': 12, 'defective': 6}
  with open(os.path.join(out, elpv.MANIFEST)) as handle:
    assert json.load(handle)['seed'] == 0
  # The same seed gives the same split; another seed another one.
  again = elpv.export_elpv(str(tmp_path / 'again'), 0.25, 0, labels)
  other = elpv.export_elpv(str(tmp_path / 'other'), 0.25, 1, labels)
  assert again['files'] == manifest['files']
  assert other['files'] != manifest['files']


def test_export_refuses_to_overwrite_and_names_what_is_missing(tmp_path):
  labels = _fake_elpv(tmp_path / 'src', ROWS)
  out = str(tmp_path / 'elpv')
  elpv.export_elpv(out, labels_csv=labels)
  with pytest.raises(OutputError, match='--overwrite'):
    elpv.export_elpv(out, labels_csv=labels)
  assert elpv.export_elpv(out, labels_csv=labels, overwrite=True)
  os.remove(tmp_path / 'src' / 'images' / 'cell0003.png')
  with pytest.raises(DatasetError, match='cell0003.png.*is missing'):
    elpv.export_elpv(str(tmp_path / 'broken'), labels_csv=labels)
  # Nothing half-written is left behind.
  assert not os.path.exists(tmp_path / 'broken')
  assert not [n for n in os.listdir(tmp_path) if n.startswith('.elpv_')]
  (tmp_path / 'bad.csv').write_text('images/a.png maybe mono\n')
  with pytest.raises(DatasetError, match='bad.csv:1'):
    elpv.export_elpv(str(tmp_path / 'x'), labels_csv=str(tmp_path / 'bad.csv'))


def test_without_the_package_the_error_says_what_to_install(monkeypatch):
  import sys
  monkeypatch.setitem(sys.modules, 'elpv_dataset', None)  # import fails
  with pytest.raises(DatasetError, match=r"pip install 'ganad_tf\[elpv\]'"):
    elpv.default_labels_csv()
