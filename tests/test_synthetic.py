"""Tests for ganad_tf.data.synthetic on small images (256x128)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ganad_tf import io_utils
from ganad_tf.data import synthetic
from ganad_tf.errors import ConfigError, InputError, OutputError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL_COUNTS = {'normal': 3, 'scratch': 2, 'stamped': 2, 'stain': 2}


def _small(**overrides) -> synthetic.SyntheticConfig:
  values = dict(width=256, height=128, counts=dict(SMALL_COUNTS), seed=7)
  values.update(overrides)
  return synthetic.SyntheticConfig(**values)


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
  manifest = synthetic.generate_dataset(folder, _small())
  return folder, manifest


def test_same_seed_gives_identical_bytes(small_set, tmp_path):
  folder, _ = small_set
  again = str(tmp_path / 'again')
  synthetic.generate_dataset(again, _small())
  assert _read_tree(folder) == _read_tree(again)


def test_parallel_workers_write_the_same_bytes(small_set, tmp_path):
  folder, _ = small_set
  parallel = str(tmp_path / 'parallel')
  synthetic.generate_dataset(parallel, _small(), num_workers=2)
  assert _read_tree(folder) == _read_tree(parallel)


def test_different_seed_gives_different_images():
  a, _, _ = synthetic.generate_arrays(_small(seed=1))
  b, _, _ = synthetic.generate_arrays(_small(seed=2))
  for image_a, image_b in zip(a, b):
    assert not np.array_equal(image_a, image_b)


def test_image_does_not_depend_on_other_counts():
  few = synthetic.render_sample(_small(), 'stain', 1)[0]
  other = _small(counts={'normal': 50, 'stain': 2})
  assert np.array_equal(few, synthetic.render_sample(other, 'stain', 1)[0])


def test_folder_layout_counts_and_manifest(small_set):
  folder, manifest = small_set
  for kind, count in SMALL_COUNTS.items():
    names = sorted(os.listdir(os.path.join(folder, kind)))
    assert names == [f'{kind}_{i:04d}.png' for i in range(count)]
    assert sorted(os.listdir(os.path.join(folder, 'masks', kind))) == names
  on_disk = io_utils.read_json(os.path.join(folder, 'manifest.json'))
  assert on_disk == manifest
  assert manifest['counts'] == SMALL_COUNTS
  assert synthetic.SyntheticConfig.from_dict(manifest['config']) == _small()
  assert len(manifest['images']) == sum(SMALL_COUNTS.values())
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
  images, kinds, masks = synthetic.generate_arrays(_small())
  assert images.shape == (9, 128, 256, 1) and images.dtype == np.uint8
  assert masks.shape == (9, 128, 256) and masks.dtype == bool
  assert kinds == [r['kind'] for r in manifest['images']]
  for image, mask, record in zip(images, masks, manifest['images']):
    on_disk = np.asarray(Image.open(os.path.join(folder, record['file'])))
    assert np.array_equal(image[..., 0], on_disk)
    on_disk = np.asarray(Image.open(os.path.join(folder, record['mask'])))
    assert np.array_equal(mask, on_disk > 0)


def test_masks_are_non_empty_for_defects_only_and_small():
  config = _small(counts={'normal': 4, 'scratch': 6, 'stamped': 6,
                          'stain': 6})
  _, kinds, masks = synthetic.generate_arrays(config)
  for kind, mask in zip(kinds, masks):
    if kind == 'normal':
      assert not mask.any()
    else:
      assert mask.any(), kind
      assert mask.mean() < 0.02, (kind, mask.mean())


def test_defects_are_tiny_at_paper_size():
  config = synthetic.SyntheticConfig()
  for kind in synthetic.DEFECT_KINDS:
    _, mask, defects = synthetic.render_sample(config, kind, 0)
    assert 0 < mask.mean() < 0.015, (kind, mask.mean())
    assert defects


def test_surface_looks_like_metal_and_varies():
  rng = np.random.default_rng(0)
  a = synthetic.render_surface(rng, 128, 256, 1)
  b = synthetic.render_surface(rng, 128, 256, 1)
  assert a.shape == (128, 256, 1) and a.dtype == np.uint8
  assert not np.array_equal(a, b)
  for image in (a, b):
    values = image[..., 0].astype(np.float32)
    assert 60 < values.mean() < 200 and 2 < values.std() < 30
    # Brushed grain: neighbours along the grain agree far more than across.
    along = np.abs(np.diff(values, axis=1)).mean()
    across = np.abs(np.diff(values, axis=0)).mean()
    assert across > 1.5 * along


def test_colour_surface_is_a_slight_tint():
  image = synthetic.render_surface(np.random.default_rng(3), 128, 256, 3)
  assert image.shape == (128, 256, 3)
  means = image.reshape(-1, 3).mean(axis=0)
  assert np.ptp(means) < 0.1 * means.mean()


@pytest.mark.parametrize('painter', [synthetic.add_scratch,
                                     synthetic.add_stamped,
                                     synthetic.add_stain])
@pytest.mark.parametrize('channels', [1, 3])
def test_painter_changes_pixels_only_inside_its_mask(painter, channels):
  strong = _small(channels=channels, scratch_contrast=(40.0, 40.0),
                  stamped_contrast=(40.0, 40.0), stain_contrast=(40.0, 40.0))
  surface = synthetic.render_surface(np.random.default_rng(0), 128, 256,
                                     channels)
  before = surface.copy()
  for seed in range(4):
    painted, mask = painter(surface, np.random.default_rng(seed), strong)
    assert np.array_equal(surface, before), 'painter modified its input'
    assert painted.shape == surface.shape and painted.dtype == np.uint8
    assert mask.shape == surface.shape[:2] and mask.dtype == bool
    diff = np.abs(painted.astype(np.float32) - surface).mean(axis=2)
    assert diff[mask].mean() > 6, diff[mask].mean()
    assert diff[~mask].mean() < 0.2, diff[~mask].mean()


def test_painter_honours_centre():
  surface = synthetic.render_surface(np.random.default_rng(0), 128, 256, 1)
  _, mask = synthetic.add_stamped(surface, np.random.default_rng(0),
                                  _small(), centre=(40, 200))
  ys, xs = np.nonzero(mask)
  assert abs(ys.mean() - 40) < 3 and abs(xs.mean() - 200) < 3


@pytest.mark.parametrize('kind', synthetic.DEFECT_KINDS)
def test_sample_without_defects_is_its_clean_surface(kind):
  config = _small()
  for index in range(3):
    image, mask, _ = synthetic.render_sample(config, kind, index)
    clean, clean_mask, defects = synthetic.render_sample(
        config, kind, index, with_defects=False)
    assert not clean_mask.any() and defects == []
    diff = np.abs(image.astype(np.float32) - clean)[..., 0]
    assert diff[mask].mean() > 3 * max(diff[~mask].mean(), 0.05)
    assert diff[~mask].mean() < 0.3


def test_default_counts_are_imbalanced():
  counts = synthetic.SyntheticConfig().counts
  assert counts['normal'] > counts['scratch'] > counts['stamped'] > (
      counts['stain']) > 0


@pytest.mark.parametrize('overrides, words', [
    (dict(counts={'normal': -1, 'scratch': 2}), 'counts'),
    (dict(counts={'normal': 0, 'scratch': 0}), 'nothing'),
    (dict(counts={'normal': 2, 'crack': 1}), 'crack'),
    (dict(counts={'normal': 1.5}), 'whole number'),
    (dict(width=0), 'width'),
    (dict(height=0), 'height'),
    (dict(channels=2), 'channels'),
    (dict(seed=-1), 'seed'),
    (dict(scratch_length=(50.0, 10.0)), 'scratch_length'),
    (dict(stain_diameter=(0.0, 10.0)), 'stain_diameter'),
    (dict(stain_diameter=(20.0, 900.0)), 'fit'),
    (dict(second_defect_prob=1.5), 'second_defect_prob'),
])
def test_bad_config_raises_config_error(overrides, words, tmp_path):
  config = _small(**overrides)
  with pytest.raises(ConfigError, match=words):
    config.validate()
  with pytest.raises(ConfigError):
    synthetic.generate_dataset(str(tmp_path / 'out'), config)
  with pytest.raises(ConfigError):
    synthetic.generate_arrays(config)


def test_existing_set_needs_overwrite_and_stale_files_go(tmp_path):
  folder = str(tmp_path / 'set')
  synthetic.generate_dataset(folder, _small(counts={'normal': 3,
                                                    'stain': 2}))
  with pytest.raises(OutputError, match='overwrite'):
    synthetic.generate_dataset(folder, _small(counts={'normal': 1}))
  mine = os.path.join(folder, 'normal', 'notes.txt')
  with open(mine, 'w') as handle:
    handle.write('not ours')
  synthetic.generate_dataset(folder, _small(counts={'normal': 1}),
                             overwrite=True)
  assert sorted(os.listdir(os.path.join(folder, 'normal'))) == [
      'normal_0000.png', 'notes.txt']
  assert os.listdir(os.path.join(folder, 'stain')) == []
  assert os.listdir(os.path.join(folder, 'masks', 'stain')) == []
  assert synthetic.load_manifest(folder)['counts']['normal'] == 1


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
  manifest = synthetic.load_manifest(folder)
  assert manifest['config']['channels'] == 3 and manifest['config']['seed'] == 5
  image = np.asarray(Image.open(os.path.join(folder, 'stain',
                                             'stain_0000.png')))
  assert image.shape == (64, 128, 3)


def test_painter_rejects_wrong_image():
  with pytest.raises(InputError, match='uint8'):
    synthetic.add_stain(np.zeros((64, 64), np.uint8), np.random.default_rng())
  with pytest.raises(InputError, match='uint8'):
    synthetic.add_scratch(np.zeros((64, 64, 1), np.float32),
                          np.random.default_rng())
