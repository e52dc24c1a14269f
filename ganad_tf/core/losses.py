"""The paper's eight losses (Sec. 3.4) as small pure functions.

Six train the generator: four on normal images (recon, patch, latent, adv)
and two on anomaly images (abc, anomaly adversarial). Two train the
discriminators, both the LSGAN loss of Eq. 1 (D_normal on normal images and
their reconstructions, D_anomaly on anomaly images and theirs). Every
function returns a scalar: the mean over the batch.

Images are (B, H, W, C) tensors in [-1, 1]; L1 distances are means of
absolute differences, so they do not grow with image size.
"""

import tensorflow as tf

# Smallest per-image reconstruction error the ABC loss sees. Below it,
# -log(1 - exp(-L)) is flat, so a perfect reconstruction gives a large finite
# loss (about 16.1) and zero gradient instead of log(0) = -inf.
ABC_MIN_ERROR = 1e-7


def per_image_l1(images, reconstructions):
  """Mean absolute error of each image, shape (B,)."""
  return tf.reduce_mean(tf.abs(images - reconstructions), axis=[1, 2, 3])


def reconstruction_loss(images, reconstructions):
  """Eq. 2: L1 distance between x and G(x)."""
  return tf.reduce_mean(per_image_l1(images, reconstructions))


def patch_errors(images, reconstructions, patch_size: int, stride: int):
  """Mean absolute error of every patch, shape (B, num_patches).

  Average pooling of the absolute error over patch windows equals the L1
  distance of each patch pair, without materialising the patches.
  """
  error = tf.reduce_mean(tf.abs(images - reconstructions), axis=-1,
                         keepdims=True)
  pooled = tf.nn.avg_pool2d(error, ksize=patch_size, strides=stride,
                            padding='VALID')
  return tf.reshape(pooled, [tf.shape(pooled)[0], -1])


def patch_loss(images, reconstructions, patch_size: int = 16, stride: int = 8,
               top_n: int = 3):
  """Eq. 3: mean of the n largest patch L1 errors of each image."""
  errors = patch_errors(images, reconstructions, patch_size, stride)
  largest = tf.math.top_k(errors, k=top_n, sorted=False).values
  return tf.reduce_mean(largest)


def latent_loss(latent, reconstruction_latent):
  """Eq. 4: L1 distance between G_E(x) and G_E(G(x))."""
  return tf.reduce_mean(tf.abs(latent - reconstruction_latent))


def lsgan_generator_loss(fake_scores, target: float):
  """Eq. 5: (D(G(x)) - y)^2, y being what G wants D to output."""
  return tf.reduce_mean(tf.square(fake_scores - target))


def adversarial_loss(fake_scores):
  """Eq. 6: G wants D_normal to call reconstructions of normals real (1)."""
  return lsgan_generator_loss(fake_scores, 1.0)


def anomaly_adversarial_loss(fake_scores):
  """Eq. 7: G wants D_anomaly to call reconstructions of anomalies fake (0)."""
  return lsgan_generator_loss(fake_scores, 0.0)


def abc_loss(images, reconstructions, min_error: float = ABC_MIN_ERROR,
             reduction: str = 'image'):
  """Eq. 8: -log(1 - exp(-L1(x, G(x)))).

  Minimising it maximises the reconstruction error of anomalies with
  vanishing returns, so it cannot run away to infinity the way -L1 would.
  `-expm1(-L)` is 1 - exp(-L) without cancellation for small L; errors are
  clipped at `min_error` so the loss stays finite at L = 0.

  Args:
    reduction: 'image' (default): the loss of each image's L1, averaged.
      'batch': the loss of the batch's mean L1 (the authors' later code).
  """
  error = per_image_l1(images, reconstructions)
  if reduction == 'batch':
    error = tf.reduce_mean(error)
  error = tf.maximum(error, min_error)
  return tf.reduce_mean(-tf.math.log(-tf.math.expm1(-error)))


def discriminator_loss(real_scores, fake_scores, real_label: float = 1.0,
                       fake_label: float = 0.0):
  """Eq. 1 (LSGAN, a-b coding): (D(x) - b)^2 + (D(G(x)) - a)^2."""
  return (tf.reduce_mean(tf.square(real_scores - real_label)) +
          tf.reduce_mean(tf.square(fake_scores - fake_label)))


# The authors' later code: sigmoid outputs and binary cross-entropy instead
# of LSGAN (D's raw outputs are the logits).

def bce_generator_loss(fake_logits, target: float):
  """BCE(sigmoid(D(G(x))), y), y being what G wants D to output."""
  return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
      labels=tf.fill(tf.shape(fake_logits), target), logits=fake_logits))


def bce_discriminator_loss(real_logits, fake_logits):
  """(BCE(D(x), 1) + BCE(D(G(x)), 0)) / 2: D's loss halved, as there."""
  return 0.5 * (bce_generator_loss(real_logits, 1.0) +
                bce_generator_loss(fake_logits, 0.0))


def head_loss(logits, labels):
  """Mean BCE of a batch of anomaly logits (N, 1) against `labels`: one
  label for the whole batch (a group's batch) or one per logit (the
  --encoder_head's loss)."""
  labels = tf.broadcast_to(tf.cast(labels, logits.dtype), tf.shape(logits))
  return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
      labels=labels, logits=logits))


# disc_loss name -> (D's loss, G's loss with target y).
ADVERSARIAL = {
    'lsgan': (discriminator_loss, lsgan_generator_loss),
    'bce': (bce_discriminator_loss, bce_generator_loss),
}
