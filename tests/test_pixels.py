"""Tests for the model's pixel convention."""

import numpy as np
import tensorflow as tf

from ganad_tf import pixels


def test_numpy_and_tensor_paths_agree_and_hit_the_ends_exactly():
  values = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
  from_numpy = pixels.to_model_range(values)
  from_tensor = pixels.to_model_range(tf.constant(values)).numpy()
  assert from_numpy.dtype == np.float32
  np.testing.assert_array_equal(from_numpy, from_tensor)
  assert from_numpy.min() == -1.0 and from_numpy.max() == 1.0
  # float32 arithmetic, as in the graph: 128 / 127.5 - 1.
  assert from_numpy[0, 8, 0, 0] == np.float32(128) / np.float32(127.5) - 1


def test_unit_range_inverts_and_clips():
  np.testing.assert_allclose(
      pixels.to_unit_range(np.array([-1.0, 0.0, 1.0, 3.0])),
      [0.0, 0.5, 1.0, 1.0])
