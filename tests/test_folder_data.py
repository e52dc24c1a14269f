"""Reading training folders: layout, formats, masks, bad data, splits."""

import logging
import os

import numpy as np
import pytest
from PIL import Image

from ganad_tf.data import folder_data
from ganad_tf.data import image_files
from ganad_tf.data.synthetic.config import SyntheticConfig
from ganad_tf.data.synthetic.samples import generate_arrays
from ganad_tf.data.synthetic.writer import generate_dataset
from ganad_tf.errors import ConfigError, DatasetError, InputError

COUNTS = {'normal': 6, 'scratch': 3, 'stamped': 2, 'stain': 1}


@pytest.fixture(scope='module')
def synth_dir(tmp_path_factory):
  folder = str(tmp_path_factory.mktemp('folder_data') / 'set')
  generate_dataset(folder, SyntheticConfig(
      width=256, height=128, counts=dict(COUNTS), seed=3))
  return folder


def _write(path, array, fmt=None):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  Image.fromarray(array).save(path, format=fmt)


def _gray(rng, height=32, width=48):
  return rng.integers(0, 256, (height, width), dtype=np.uint8)


def test_reads_the_synthetic_layout_with_masks(synth_dir):
  data = folder_data.load_folder(synth_dir)
  assert data.kinds == ['normal', 'scratch', 'stain', 'stamped']
  assert data.counts() == {'normal': 6, 'scratch': 3, 'stain': 1,
                           'stamped': 2}
  assert data.images.shape == (12, 128, 256, 1)
  assert data.images.dtype == np.uint8 and data.channels == 1
  assert data.files[0] == os.path.join('normal', 'normal_0000.png')
  assert data.skipped == []
  # Masks for every defect image, none for normal ones; they match the
  # generator's masks exactly.
  assert all(m is None for m in data.masks[:6])
  _, kinds, masks = generate_arrays(SyntheticConfig(
      width=256, height=128, counts=dict(COUNTS), seed=3))
  index = data.files.index(os.path.join('stain', 'stain_0000.png'))
  np.testing.assert_array_equal(data.masks[index], masks[kinds.index('stain')])
  np.testing.assert_array_equal(data.full_masks()[:6], False)


def test_formats_channels_and_ignored_entries(tmp_path):
  rng = np.random.default_rng(0)
  root = str(tmp_path)
  _write(f'{root}/normal/a.PNG', _gray(rng), 'PNG')
  _write(f'{root}/normal/b.JPG', _gray(rng), 'JPEG')
  _write(f'{root}/normal/sub/c.bmp', _gray(rng), 'BMP')
  _write(f'{root}/normal/.hidden/d.png', _gray(rng))
  _write(f'{root}/dent/e.png', _gray(rng))
  _write(f'{root}/masks/dent/e.png', np.full((32, 48), 255, np.uint8))
  _write(f'{root}/.cache/f.png', _gray(rng))
  with open(f'{root}/normal/notes.txt', 'w') as handle:
    handle.write('not an image')
  data = folder_data.load_folder(root)
  assert data.kinds == ['normal', 'dent']
  assert sorted(data.files) == sorted([
      os.path.join('normal', 'a.PNG'), os.path.join('normal', 'b.JPG'),
      os.path.join('normal', 'sub', 'c.bmp'), os.path.join('dent', 'e.png')])
  assert data.channels == 1 and data.masks[-1].all()

  # One colour image makes 'auto' colour; gray images are repeated.
  colour = rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)
  _write(f'{root}/dent/g.png', colour)
  data = folder_data.load_folder(root)
  assert data.channels == 3
  gray = data.images[data.files.index(os.path.join('normal', 'a.PNG'))]
  np.testing.assert_array_equal(gray[..., 0], gray[..., 2])
  # Forced gray converts colour with the ITU-R 601 luma, like Pillow.
  data = folder_data.load_folder(root, channels=1)
  luma = np.asarray(Image.fromarray(colour).convert('L'))
  got = data.images[data.files.index(os.path.join('dent', 'g.png')), ..., 0]
  assert np.abs(got.astype(int) - luma).max() <= 1
  with pytest.raises(ConfigError, match='auto, 1 or 3'):
    folder_data.load_folder(root, channels=2)


def test_missing_or_empty_folder(tmp_path):
  with pytest.raises(DatasetError, match='does not exist'):
    folder_data.load_folder(str(tmp_path / 'nope'))
  with pytest.raises(DatasetError, match='is empty'):
    folder_data.load_folder(str(tmp_path))


def test_no_normal_folder(tmp_path):
  _write(str(tmp_path / 'scratch' / 'a.png'), np.zeros((8, 8), np.uint8))
  _write(str(tmp_path / 'loose.png'), np.zeros((8, 8), np.uint8))
  with pytest.raises(DatasetError, match=r'no normal/ subfolder.*loose'):
    folder_data.load_folder(str(tmp_path))


def test_no_defect_folder_explains_normal_only_training(tmp_path):
  _write(str(tmp_path / 'normal' / 'a.png'), np.zeros((8, 8), np.uint8))
  with pytest.raises(DatasetError, match='--w_abc=0 --w_anomaly_adv=0'):
    folder_data.load_folder(str(tmp_path))
  data = folder_data.load_folder(str(tmp_path), require_defects=False)
  assert data.kinds == ['normal'] and len(data) == 1


def test_unreadable_files_are_reported_and_skipped(tmp_path, caplog):
  rng = np.random.default_rng(1)
  root = str(tmp_path)
  for name in ('a', 'b'):
    _write(f'{root}/normal/{name}.png', _gray(rng))
  _write(f'{root}/stain/c.png', _gray(rng))
  with open(f'{root}/normal/garbage.png', 'wb') as handle:
    handle.write(b'this is not a png')
  with open(f'{root}/normal/a.png', 'rb') as handle:
    whole = handle.read()
  with open(f'{root}/normal/truncated.png', 'wb') as handle:
    handle.write(whole[:len(whole) // 2])
  with caplog.at_level(logging.WARNING, logger='ganad_tf'):
    data = folder_data.load_folder(root)
  assert data.counts() == {'normal': 2, 'stain': 1}
  skipped = sorted(os.path.basename(s.path) for s in data.skipped)
  assert skipped == ['garbage.png', 'truncated.png']
  assert 'garbage.png' in caplog.text and 'truncated.png' in caplog.text


def test_class_folder_without_readable_images(tmp_path):
  rng = np.random.default_rng(2)
  _write(str(tmp_path / 'normal' / 'a.png'), _gray(rng))
  (tmp_path / 'scratch').mkdir()
  with pytest.raises(DatasetError, match='holds no PNG/JPEG/BMP'):
    folder_data.load_folder(str(tmp_path))
  with open(tmp_path / 'scratch' / 'bad.png', 'wb') as handle:
    handle.write(b'\x89PNG broken')
  with pytest.raises(DatasetError, match=r'None of the 1 image.*bad\.png'):
    folder_data.load_folder(str(tmp_path))


def test_mixed_sizes_list_sizes_and_the_resize_fix(tmp_path):
  rng = np.random.default_rng(3)
  root = str(tmp_path)
  _write(f'{root}/normal/a.png', _gray(rng, 32, 48))
  _write(f'{root}/normal/b.png', _gray(rng, 32, 48))
  _write(f'{root}/scratch/c.png', _gray(rng, 40, 64))
  _write(f'{root}/masks/scratch/c.png', np.pad(
      np.full((4, 4), 255, np.uint8), ((18, 18), (30, 30))))
  with pytest.raises(DatasetError) as error:
    folder_data.load_folder(root)
  message = str(error.value)
  assert '48x32: 2 image(s)' in message and '64x40: 1 image(s)' in message
  assert os.path.join('scratch', 'c.png') in message
  assert '--resize_to=48x32' in message
  data = folder_data.load_folder(root, resize_to=(32, 48))
  assert data.images.shape == (3, 32, 48, 1)
  mask = data.masks[data.files.index(os.path.join('scratch', 'c.png'))]
  assert mask.shape == (32, 48) and mask.any() and not mask[0, 0]
  # Keeping the aspect ratio: 64x40 fits 48x32 at 0.75 (48x30, 1 row of
  # padding above and below); the mask follows the image.
  padded = folder_data.load_folder(root, resize_to=(32, 48),
                                   resize_mode='pad')
  index = padded.files.index(os.path.join('scratch', 'c.png'))
  assert padded.images.shape == (3, 32, 48, 1)
  rows = np.flatnonzero(padded.masks[index].any(axis=1))
  assert rows.min() >= 1 + int(18 * 0.75) - 1 and rows.max() <= 1 + 17


def test_find_and_load_images_for_scoring(tmp_path):
  rng = np.random.default_rng(4)
  root = str(tmp_path)
  _write(f'{root}/x/a.png', _gray(rng))
  _write(f'{root}/x/b.png', _gray(rng, 16, 16))
  _write(f'{root}/masks/x/a.png', _gray(rng))
  with open(f'{root}/x/c.png', 'wb') as handle:
    handle.write(b'junk')
  assert len(image_files.find_images(root)) == 3  # masks/ skipped
  assert len(image_files.find_images(f'{root}/x/*.png')) == 3
  assert image_files.find_images(f'{root}/x/a.png') == [f'{root}/x/a.png']
  with pytest.raises(DatasetError, match='No PNG/JPEG/BMP'):
    image_files.find_images(f'{root}/*.jpg')
  images, used, skipped = folder_data.load_images(
      image_files.find_images(root), 3, (32, 48))
  assert images.shape == (1, 32, 48, 3) and used == [f'{root}/x/a.png']
  assert sorted(os.path.basename(s.path) for s in skipped) == ['b.png',
                                                                'c.png']


def test_listing_fingerprint_changes_when_images_change(tmp_path):
  rng = np.random.default_rng(5)
  _write(str(tmp_path / 'normal' / 'a.png'), _gray(rng))
  first = folder_data.listing_fingerprint(str(tmp_path))
  assert first == folder_data.listing_fingerprint(str(tmp_path))
  _write(str(tmp_path / 'normal' / 'b.png'), _gray(rng))
  assert folder_data.listing_fingerprint(str(tmp_path)) != first
  assert folder_data.listing_fingerprint(str(tmp_path / 'missing')) is None


def test_from_arrays_checks_the_pixels():
  normal = np.zeros((3, 8, 8), np.uint8)  # gray may omit the channel axis
  anomaly = np.full((2, 8, 8, 1), 255, np.uint8)
  data = folder_data.from_arrays(normal, anomaly, ['dent', 'scratch'])
  assert data.images.shape == (5, 8, 8, 1)
  assert data.kinds == ['normal', 'dent', 'scratch']
  np.testing.assert_array_equal(data.labels, [0, 0, 0, 1, 2])
  with pytest.raises(InputError, match='normal_images must be uint8'):
    folder_data.from_arrays(normal.astype(np.float32))
  with pytest.raises(InputError, match='anomaly_images have 2 channels'):
    folder_data.from_arrays(normal, np.zeros((1, 8, 8, 2), np.uint8))
  with pytest.raises(DatasetError, match='give both one'):
    folder_data.from_arrays(normal, np.zeros((1, 4, 4, 1), np.uint8))
