"""Paper Sec. 4.2 augmentation: shapes, ranges, determinism, transforms."""

import numpy as np
import pytest
import tensorflow as tf

from ganad_tf.data import augment
from ganad_tf.errors import ConfigError

SEED = tf.constant([1, 2], tf.int64)


def _images(count=8, size=8, channels=1, seed=0):
  rng = np.random.default_rng(seed)
  return tf.constant(rng.uniform(-1, 1, (count, size, size, channels)),
                     tf.float32)


def test_crop_of_zero_pixels_is_identity():
  images = _images()
  out = augment.crop_and_resize(images, SEED, max_crop=0)
  np.testing.assert_allclose(out.numpy(), images.numpy(), atol=1e-6)


def test_crop_and_resize_resamples_a_cropped_window():
  # A horizontal ramp stays a ramp; cropping stretches it, so each row is
  # still monotonic and the range shrinks inward, never outward.
  ramp = np.tile(np.linspace(-1, 1, 16, dtype=np.float32), (16, 1))
  images = tf.constant(np.repeat(ramp[None, :, :, None], 6, 0))
  out = augment.crop_and_resize(images, SEED, max_crop=2).numpy()
  assert out.shape == images.shape
  assert np.all(np.diff(out[..., 0], axis=2) >= -1e-6)
  assert out.min() >= -1 - 1e-6 and out.max() <= 1 + 1e-6
  assert np.any(np.abs(out - images.numpy()) > 1e-3)


def _dihedral(image):
  variants = []
  for k in range(4):
    rotated = np.rot90(image, k)
    variants += [rotated, rotated[:, ::-1], rotated[::-1], rotated[::-1, ::-1]]
  return variants


def test_flips_and_rotations_are_exact_symmetries():
  images = _images(count=16)
  for fn in (augment.random_flips, augment.random_rot90):
    out = fn(images, SEED).numpy()
    for original, augmented in zip(images.numpy(), out):
      assert any(np.array_equal(augmented, v) for v in _dihedral(original))


def test_rotation_draws_all_four_angles():
  image = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
  out = augment.random_rot90(tf.constant(np.repeat(image, 64, 0)), SEED)
  seen = {k for k in range(4) for o in out.numpy()
          if np.array_equal(o, np.rot90(image[0], k))}
  assert seen == {0, 1, 2, 3}


def test_color_jitter_keeps_range_and_changes_images():
  images = _images(channels=3)
  out = augment.color_jitter(images, SEED).numpy()
  assert out.shape == images.shape
  assert out.min() >= -1 and out.max() <= 1
  assert np.abs(out - images.numpy()).mean() > 1e-3


def test_authors_flip_mirrors_about_four_images_in_five():
  images = _images(channels=1, size=16)
  big = tf.repeat(images[:1], 2000, axis=0)
  out = augment.authors_flip(big, SEED).numpy()
  mirrored = np.all(out == big.numpy()[:, :, ::-1], axis=(1, 2, 3))
  kept = np.all(out == big.numpy(), axis=(1, 2, 3))
  assert np.all(mirrored | kept)  # only horizontal flips
  # 2,000 draws of p = 0.8: within 5 standard deviations (0.045).
  assert abs(mirrored.mean() - augment.AUTHORS_FLIP_PROBABILITY) < 0.045


@pytest.mark.parametrize('pipeline', ['mnist', 'fashion_mnist', 'cifar',
                                      'defect', 'authors'])
def test_pipelines_are_deterministic_in_the_seed(pipeline):
  channels = 3 if pipeline == 'cifar' else 1
  images = _images(channels=channels, size=16)
  fn = augment.make_augmenter(pipeline)
  first = fn(images, SEED).numpy()
  np.testing.assert_array_equal(first, fn(images, SEED).numpy())
  assert not np.array_equal(first, fn(images, SEED + 1).numpy())
  assert first.shape == images.shape


def test_resolve_paper_choices():
  assert augment.resolve('paper', 'mnist') == 'mnist'
  assert augment.resolve('paper', 'fashion_mnist') == 'fashion_mnist'
  assert augment.resolve('paper', 'cifar100') == 'cifar'
  assert augment.resolve('paper', 'folder') == 'defect'
  assert augment.resolve('none', 'cifar10') == 'none'
  assert augment.make_augmenter('none') is None
  with pytest.raises(ConfigError, match='Unknown augmentation'):
    augment.resolve('mixup', 'mnist')
