"""Per-dataset training augmentation (paper Sec. 4.2), batched and stateless.

Every function maps a (B, H, W, C) batch in [-1, 1] and a stateless seed
(shape [2] int) to an augmented batch of the same shape, drawing one random
choice per image. Pure tensor ops with static shapes, so they run inside the
compiled (and XLA-compilable) training step, and the same seed always gives
the same result, which makes resumed runs repeat exactly.
"""

from typing import Callable, Optional

import tensorflow as tf

from ganad_tf.data import registry
from ganad_tf.errors import ConfigError

Augmenter = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def _batch_size(images):
  """The static batch size when known: XLA needs static random shapes."""
  return images.shape[0] if images.shape[0] is not None else tf.shape(images)[0]

# Jitter ranges for CIFAR; the paper names the four jitters but not their
# ranges. These are mild, torchvision-ColorJitter-like amounts.
BRIGHTNESS_DELTA = 0.1   # in [0, 1] intensity units
CONTRAST_RANGE = 0.2     # factor in [1 - r, 1 + r]
SATURATION_RANGE = 0.2
HUE_DELTA = 0.05         # fraction of the hue circle


def _interpolation_matrix(start, stop, size: int):
  """Bilinear resampling of [start, size-1-stop] onto `size` points.

  Args:
    start, stop: (B,) float pixels cropped from each end.
    size: length of the axis.

  Returns:
    (B, size, size) matrices R with out = R @ in along that axis.
  """
  steps = tf.range(size, dtype=tf.float32)
  span = (size - 1.0) - start - stop
  positions = start[:, None] + steps[None, :] * span[:, None] / (size - 1.0)
  distance = tf.abs(positions[:, :, None] - steps[None, None, :])
  return tf.maximum(0.0, 1.0 - distance)


def crop_and_resize(images, seed, max_crop: int = 2):
  """Crops 0..max_crop pixels from each border and resizes back."""
  height, width = images.shape[1], images.shape[2]
  batch = _batch_size(images)
  crops = tf.random.stateless_uniform([4, batch], seed, 0, max_crop + 1,
                                      dtype=tf.int32)
  crops = tf.cast(crops, tf.float32)
  rows = _interpolation_matrix(crops[0], crops[1], height)
  cols = _interpolation_matrix(crops[2], crops[3], width)
  return tf.einsum('bih,bhwc,bjw->bijc', rows, images, cols)


def random_flips(images, seed):
  """Flips each image left-right and up-down, each with probability 1/2."""
  coins = tf.random.stateless_uniform([2, _batch_size(images), 1, 1, 1], seed)
  images = tf.where(coins[0] < 0.5, tf.reverse(images, axis=[2]), images)
  return tf.where(coins[1] < 0.5, tf.reverse(images, axis=[1]), images)


# The authors' later code flips horizontally with this probability.
AUTHORS_FLIP_PROBABILITY = 0.8


def authors_flip(images, seed):
  """Flips each image left-right with probability 0.8 (the authors' later
  code: torchvision RandomHorizontalFlip(p=0.8), both groups)."""
  coins = tf.random.stateless_uniform([_batch_size(images), 1, 1, 1], seed)
  return tf.where(coins < AUTHORS_FLIP_PROBABILITY,
                  tf.reverse(images, axis=[2]), images)


def random_rot90(images, seed):
  """Rotates each square image by 0, 90, 180 or 270 degrees."""
  if images.shape[1] != images.shape[2]:
    raise ConfigError('90-degree rotation needs square images, got '
                      f'{images.shape[1]}x{images.shape[2]}.')
  turns = tf.random.stateless_uniform([_batch_size(images)], seed, 0, 4,
                                      dtype=tf.int32)
  rotated = images
  for k in range(1, 4):
    rotated = tf.where(tf.reshape(turns, [-1, 1, 1, 1]) == k,
                       tf.image.rot90(images, k), rotated)
  return rotated


def color_jitter(images, seed):
  """Random brightness, contrast, saturation and hue, per image."""
  batch = _batch_size(images)
  draws = tf.random.stateless_uniform([4, batch, 1, 1, 1], seed, -1.0, 1.0)
  unit = (images + 1.0) / 2.0
  unit = unit + BRIGHTNESS_DELTA * draws[0]
  mean = tf.reduce_mean(unit, axis=[1, 2, 3], keepdims=True)
  unit = mean + (unit - mean) * (1.0 + CONTRAST_RANGE * draws[1])
  if images.shape[-1] == 3:
    gray = tf.reduce_mean(unit, axis=-1, keepdims=True)
    unit = gray + (unit - gray) * (1.0 + SATURATION_RANGE * draws[2])
    hsv = tf.image.rgb_to_hsv(tf.clip_by_value(unit, 0.0, 1.0))
    hue = tf.math.floormod(hsv[..., :1] + HUE_DELTA * draws[3], 1.0)
    unit = tf.image.hsv_to_rgb(tf.concat([hue, hsv[..., 1:]], axis=-1))
  return tf.clip_by_value(unit, 0.0, 1.0) * 2.0 - 1.0


# Sec. 4.2, in the order the paper applies them.
PIPELINES = {
    'none': (),
    'mnist': (crop_and_resize,),
    'fashion_mnist': (random_flips, crop_and_resize, random_rot90),
    'cifar': (random_flips, crop_and_resize, random_rot90, color_jitter),
    'defect': (random_flips, random_rot90),
    # Not the paper's: the reading of the authors' later code (NOTES.md).
    'authors': (authors_flip,),
}

def resolve(augment: str, dataset: str) -> str:
  """Names the pipeline for an `augment` setting and a dataset.

  What 'paper' means for each dataset is in ganad_tf.data.registry.
  """
  if augment == 'paper':
    return registry.paper_augmentation(dataset)
  if augment not in PIPELINES:
    raise ConfigError(f'Unknown augmentation {augment!r}; choose paper or one '
                      f'of {sorted(PIPELINES)}.')
  return augment


def make_augmenter(pipeline: str) -> Optional[Augmenter]:
  """Returns a function (images, seed) -> images, or None for no-op."""
  stages = PIPELINES[pipeline]
  if not stages:
    return None

  def augment(images, seed):
    seeds = tf.random.experimental.stateless_split(seed, num=len(stages))
    for index, stage in enumerate(stages):
      images = stage(images, seeds[index])
    return images

  return augment
