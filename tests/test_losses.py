"""Each loss on a hand-computed value (paper Eq. 1-8)."""

import math

import numpy as np
import pytest
import tensorflow as tf

from ganad_tf.core import losses


def _image(values):
  """(1, H, W, 1) float32 tensor from a 2-D list."""
  return tf.constant(np.asarray(values, np.float32)[None, :, :, None])


def test_reconstruction_loss_is_mean_absolute_error():
  images = _image([[0, 0], [0, 0]])
  reconstructions = _image([[1, -2], [3, -4]])
  assert losses.reconstruction_loss(images, reconstructions).numpy() == 2.5


def test_patch_loss_averages_the_worst_patches():
  # Absolute error 4x4; 2x2 patches with stride 2 have means 1, 2, 3, 10.
  error = [[1, 1, 2, 2],
           [1, 1, 2, 2],
           [3, 3, 10, 10],
           [3, 3, 10, 10]]
  zeros = _image(np.zeros((4, 4)))
  value = losses.patch_loss(zeros, _image(error), patch_size=2, stride=2,
                            top_n=2)
  assert value.numpy() == pytest.approx((10 + 3) / 2)
  # Overlapping 3x3 windows (stride 1); the worst is the bottom-right one:
  # 1+2+2 + 3+10+10 + 3+10+10 = 51.
  value = losses.patch_loss(zeros, _image(error), patch_size=3, stride=1,
                            top_n=1)
  assert value.numpy() == pytest.approx(51 / 9)


def test_patch_errors_average_channels_and_keep_the_batch():
  images = tf.zeros([2, 4, 4, 3])
  reconstructions = tf.concat([tf.ones([1, 4, 4, 3]),
                               3 * tf.ones([1, 4, 4, 3])], axis=0)
  errors = losses.patch_errors(images, reconstructions, 2, 2)
  np.testing.assert_allclose(errors.numpy(), [[1] * 4, [3] * 4])


def test_latent_loss():
  latent = tf.constant([[1.0, 2.0], [3.0, 4.0]])
  assert losses.latent_loss(latent, tf.zeros_like(latent)).numpy() == 2.5


def test_adversarial_losses_use_lsgan_targets():
  scores = tf.constant([0.5, 1.5])
  # (0.5-1)^2 = 0.25, (1.5-1)^2 = 0.25
  assert losses.adversarial_loss(scores).numpy() == pytest.approx(0.25)
  # 0.5^2 = 0.25, 1.5^2 = 2.25
  assert losses.anomaly_adversarial_loss(scores).numpy() == pytest.approx(1.25)


def test_discriminator_loss_is_eq1():
  real = tf.constant([1.0, 0.0])   # errors vs 1: 0, 1
  fake = tf.constant([0.0, 2.0])   # errors vs 0: 0, 4
  assert losses.discriminator_loss(real, fake).numpy() == pytest.approx(
      0.5 + 2.0)


def test_abc_loss_value():
  images = _image([[0, 0], [0, 0]])
  reconstructions = _image([[1, 1], [1, 1]])  # L1 = 1
  expected = -math.log(1 - math.exp(-1))
  assert losses.abc_loss(images, reconstructions).numpy() == pytest.approx(
      expected, rel=1e-6)


def test_abc_loss_averages_per_image_values():
  images = tf.zeros([2, 1, 1, 1])
  reconstructions = tf.constant([1.0, 2.0])[:, None, None, None]
  expected = (-math.log(1 - math.exp(-1)) - math.log(1 - math.exp(-2))) / 2
  assert losses.abc_loss(images, reconstructions).numpy() == pytest.approx(
      expected, rel=1e-6)


def test_abc_loss_is_finite_at_perfect_reconstruction():
  images = tf.Variable(tf.zeros([1, 2, 2, 1]))
  with tf.GradientTape() as tape:
    value = losses.abc_loss(images, tf.zeros([1, 2, 2, 1]))
  gradient = tape.gradient(value, images)
  assert np.isfinite(value.numpy())
  assert value.numpy() == pytest.approx(-math.log(losses.ABC_MIN_ERROR),
                                        rel=1e-3)
  assert np.all(np.isfinite(gradient.numpy()))


def test_abc_loss_decreases_as_error_grows():
  zeros = tf.zeros([1, 2, 2, 1])
  values = [losses.abc_loss(zeros, tf.fill([1, 2, 2, 1], e)).numpy()
            for e in (0.01, 0.1, 1.0)]
  assert values[0] > values[1] > values[2] > 0


def test_bce_losses_on_hand_values():
  # The authors' later code: sigmoid + binary cross-entropy, D halved.
  logits = tf.constant([0.0, 2.0])
  # BCE(sigmoid(z), 1) = log(1 + e^-z); BCE(sigmoid(z), 0) = log(1 + e^z).
  assert float(losses.bce_generator_loss(logits, 1.0)) == pytest.approx(
      (math.log(2) + math.log(1 + math.exp(-2))) / 2, rel=1e-6)
  assert float(losses.bce_generator_loss(logits, 0.0)) == pytest.approx(
      (math.log(2) + math.log(1 + math.exp(2))) / 2, rel=1e-6)
  real, fake = tf.constant([2.0]), tf.constant([0.0])
  assert float(losses.bce_discriminator_loss(real, fake)) == pytest.approx(
      0.5 * (math.log(1 + math.exp(-2)) + math.log(2)), rel=1e-6)
  assert set(losses.ADVERSARIAL) == {'lsgan', 'bce'}


def test_abc_loss_of_the_batch_mean():
  images = tf.zeros([2, 2, 2, 1])
  reconstructions = tf.concat([tf.fill([1, 2, 2, 1], 0.5),
                               tf.fill([1, 2, 2, 1], 1.5)], axis=0)
  # Per image: errors 0.5 and 1.5; of the batch mean: error 1.0.
  def abc(error):
    return -math.log(1 - math.exp(-error))
  assert float(losses.abc_loss(images, reconstructions)) == pytest.approx(
      (abc(0.5) + abc(1.5)) / 2, rel=1e-6)
  assert float(losses.abc_loss(images, reconstructions,
                               reduction='batch')) == pytest.approx(
                                   abc(1.0), rel=1e-6)
