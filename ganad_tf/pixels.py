"""The model's pixel convention: uint8 0..255 in, float32 -1..1 inside.

Every path into the networks (benchmark data, training tiles, the inference
graph and the SavedModel) scales with `to_model_range`, so a pixel means
the same to the model wherever it comes from. TensorFlow is imported only
for tensors, so numpy-only data tools stay light.
"""

import numpy as np

_HALF_RANGE = 127.5


def to_model_range(pixels):
  """0..255 pixels to float32 in [-1, 1]: 0 -> -1 and 255 -> 1 exactly.

  Args:
    pixels: a numpy array or a TF tensor of any numeric dtype.

  Returns:
    The same kind of value as `pixels`, float32.
  """
  if isinstance(pixels, np.ndarray):
    out = pixels.astype(np.float32)  # one copy, then in place
    out /= np.float32(_HALF_RANGE)
    out -= np.float32(1.0)
    return out
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.cast(pixels, tf.float32) / _HALF_RANGE - 1.0


def to_unit_range(images):
  """Model-range images back to [0, 1] for display (clipped)."""
  return np.clip((np.asarray(images) + 1.0) / 2.0, 0.0, 1.0)
