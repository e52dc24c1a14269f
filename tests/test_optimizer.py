"""Adam as one fused kernel per variable."""

import keras
import numpy as np
import tensorflow as tf

from ganad_tf.core.optimizer import Adam


def test_adam_matches_keras_adam():
  variable = tf.Variable(np.linspace(-1, 1, 6, dtype=np.float32))
  reference = tf.Variable(variable.numpy())
  ours = Adam([variable], 0.1, 0.9, 0.999, 1e-8, name='ours')
  keras_adam = keras.optimizers.Adam(0.1, beta_1=0.9, beta_2=0.999,
                                     epsilon=1e-8)
  for step in range(3):
    gradient = tf.constant(np.cos(np.arange(6) + step), tf.float32)
    ours.apply([gradient])
    keras_adam.apply_gradients([(gradient, reference)])
  # Each step moves values by ~0.1; the two differ only in float rounding.
  np.testing.assert_allclose(variable.numpy(), reference.numpy(), atol=1e-5)
  assert int(ours.iterations.numpy()) == 3


def test_reset_gives_a_fresh_optimizer():
  variable = tf.Variable(np.ones(4, np.float32))
  adam = Adam([variable], 0.1, 0.9, 0.999, 1e-8, name='adam')
  adam.apply([tf.ones(4)])
  first_step = variable.numpy().copy()
  adam.apply([tf.ones(4)])
  adam.reset()
  assert int(adam.iterations.numpy()) == 0
  assert not any(np.any(slot.numpy()) for slot in adam.momentums +
                 adam.velocities)
  # After a reset the first update is a first update again: with g = 1 it
  # moves each value by the learning rate.
  variable.assign(np.ones(4, np.float32))
  adam.apply([tf.ones(4)])
  np.testing.assert_allclose(variable.numpy(), first_step, rtol=1e-6)
  np.testing.assert_allclose(variable.numpy(), 0.9, rtol=1e-5)


def test_learning_rate_is_a_variable():
  variable = tf.Variable(np.zeros(2, np.float32))
  adam = Adam([variable], 0.1, 0.9, 0.999, 1e-8, name='adam')
  adam.learning_rate.assign(0.0)
  adam.apply([tf.ones(2)])
  np.testing.assert_array_equal(variable.numpy(), 0.0)
