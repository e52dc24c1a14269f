"""Tests for ganad_tf.data.synthetic.writer: PNG folders and manifest."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import SMALL_SYNTHETIC_COUNTS, small_synthetic
from ganad_tf import io_utils
from ganad_tf.data.synthetic import samples
from ganad_tf.data.synthetic import writer
from ganad_tf.data.synthetic.config import SyntheticConfig
from ganad_tf.errors import ConfigError, OutputError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read_tree(folder):
  """Relative path -> bytes of every file under `folder`."""
  files = {}
  for root, _, names in os.walk(folder):
    for name in names:
      path = os.path.join(root, name)
      with open(path, 'rb') as handle:
        files[os.path.relpath(path, folder)] = handle.read()
  return files


@pytest.fixture(scope='module')
def small_set(tmp_path_factory):
  folder = str(tmp_path_factory.mktemp('synth') / 'set')
  manifest = writer.generate_dataset(folder, small_synthetic())
  return folder, manifest


def test_same_seed_gives_identical_bytes(small_set, tmp_path):
  folder, _ = small_set
  again = str(tmp_path / 'again')
  writer.generate_dataset(again, small_synthetic())
  assert _read_tree(folder) == _read_tree(again)


def test_parallel_workers_write_the_same_bytes(small_set, tmp_path):
  folder, _ = small_set
  parallel = str(tmp_path / 'parallel')
  writer.generate_dataset(parallel, small_synthetic(), num_workers=2)
  assert _read_tree(folder) == _read_tree(parallel)


def test_folder_layout_counts_and_manifest(small_set):
  folder, manifest = small_set
  for kind, count in SMALL_SYNTHETIC_COUNTS.items():
    names = sorted(os.listdir(os.path.join(folder, kind)))
    assert names == [f'{kind}_{i:04d}.png' for i in range(count)]
    assert sorted(os.listdir(os.path.join(folder, 'masks', kind))) == names
  on_disk = io_utils.read_json(os.path.join(folder, 'manifest.json'))
  assert on_disk == manifest
  assert manifest['counts'] == SMALL_SYNTHETIC_COUNTS
  assert SyntheticConfig.from_dict(manifest['config']) == small_synthetic()
  assert len(manifest['images']) == sum(SMALL_SYNTHETIC_COUNTS.values())
  for record in manifest['images']:
    image = np.asarray(Image.open(os.path.join(folder, record['file'])))
    mask = np.asarray(Image.open(os.path.join(folder, record['mask'])))
    assert image.shape == (128, 256) and image.dtype == np.uint8
    assert mask.shape == (128, 256) and set(np.unique(mask)) <= {0, 255}
    if record['kind'] == 'normal':
      assert record['defects'] == [] and not mask.any()
      continue
    assert 1 <= len(record['defects']) <= 2
    union = np.zeros_like(mask, bool)
    for defect in record['defects']:
      assert defect['kind'] == record['kind']
      x0, y0, x1, y1 = defect['bbox']
      assert 0 <= x0 < x1 <= 256 and 0 <= y0 < y1 <= 128
      union[y0:y1, x0:x1] = True
    # Every mask pixel lies in some box and every box is tight on the mask.
    assert not (mask.astype(bool) & ~union).any()
    for defect in record['defects']:
      x0, y0, x1, y1 = defect['bbox']
      box = mask[y0:y1, x0:x1].astype(bool)
      assert box[0].any() and box[-1].any()
      assert box[:, 0].any() and box[:, -1].any()


def test_arrays_match_files(small_set):
  folder, manifest = small_set
  images, kinds, masks = samples.generate_arrays(small_synthetic())
  assert images.shape == (9, 128, 256, 1) and images.dtype == np.uint8
  assert masks.shape == (9, 128, 256) and masks.dtype == bool
  assert kinds == [r['kind'] for r in manifest['images']]
  for image, mask, record in zip(images, masks, manifest['images']):
    on_disk = np.asarray(Image.open(os.path.join(folder, record['file'])))
    assert np.array_equal(image[..., 0], on_disk)
    on_disk = np.asarray(Image.open(os.path.join(folder, record['mask'])))
    assert np.array_equal(mask, on_disk > 0)


def test_existing_set_needs_overwrite_and_stale_files_go(tmp_path):
  folder = str(tmp_path / 'set')
  writer.generate_dataset(folder, small_synthetic(counts={'normal': 3,
                                                         'stain': 2}))
  with pytest.raises(OutputError, match='overwrite'):
    writer.generate_dataset(folder, small_synthetic(counts={'normal': 1}))
  mine = os.path.join(folder, 'normal', 'notes.txt')
  with open(mine, 'w') as handle:
    handle.write('not ours')
  writer.generate_dataset(folder, small_synthetic(counts={'normal': 1}),
                          overwrite=True)
  assert sorted(os.listdir(os.path.join(folder, 'normal'))) == [
      'normal_0000.png', 'notes.txt']
  assert os.listdir(os.path.join(folder, 'stain')) == []
  assert os.listdir(os.path.join(folder, 'masks', 'stain')) == []
  assert writer.load_manifest(folder)['counts']['normal'] == 1


def test_command_line_entry_point(tmp_path):
  folder = str(tmp_path / 'cli')
  result = subprocess.run(
      [sys.executable, '-m', 'experiments.make_synthetic',
       f'--output_dir={folder}', '--width=128', '--height=64',
       '--channels=3', '--num_normal=2', '--num_scratch=1',
       '--num_stamped=0', '--num_stain=1', '--seed=5', '--num_workers=1'],
      cwd=REPO, capture_output=True, text=True, timeout=120)
  assert result.returncode == 0, result.stderr
  assert 'Wrote 4 images' in result.stdout
  manifest = writer.load_manifest(folder)
  assert manifest['config']['channels'] == 3 and manifest['config']['seed'] == 5
  image = np.asarray(Image.open(os.path.join(folder, 'stain',
                                             'stain_0000.png')))
  assert image.shape == (64, 128, 3)


def test_missing_manifest_means_incomplete(tmp_path):
  with pytest.raises(OutputError, match='make_synthetic'):
    writer.load_manifest(str(tmp_path))
  assert writer.file_name('stain', 12) == 'stain_0012.png'


def test_num_workers_must_be_a_whole_number(tmp_path):
  with pytest.raises(ConfigError, match='num_workers'):
    writer.generate_dataset(str(tmp_path / 'out'), small_synthetic(),
                            num_workers=-1)
