"""One training step of the supervised baseline (`--model=classifier`).

The classifier sees the GAN's balanced training set as one labelled pool
(normal 0, anomaly 1) and takes each step's batch from one shuffled pass
over it, so batches are mixed, as a user's own classifier would train. The
batch draw, augmentation, replica averaging and the "nothing is updated
unless every value is finite" rule are the GAN step's own (`train_step`).
"""

import keras
import tensorflow as tf

from ganad_tf.core import train_step
from ganad_tf.core.optimizer import Adam
from ganad_tf.core.train_step import RunState, StepSpec

# The loss vector a step reports: mean binary cross-entropy and accuracy.
CLASSIFIER_REPORTED = ('bce', 'accuracy')
POOL_GROUP = train_step.NORMAL_GROUP  # the one pass order the pool uses


def classifier_losses(model: keras.Model, images, labels):
  """(mean BCE on the logits, accuracy at logit 0) of one batch."""
  logits = model(images, training=True)[:, 0]
  bce = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
      labels=labels, logits=logits))
  correct = tf.equal(tf.cast(logits > 0, tf.float32), labels)
  return bce, tf.reduce_mean(tf.cast(correct, tf.float32))


def classifier_gradients(model: keras.Model, images, labels):
  with tf.GradientTape() as tape:
    bce, accuracy = classifier_losses(model, images, labels)
  return tf.stack([bce, accuracy]), tape.gradient(
      bce, model.trainable_variables)


def classifier_step(model: keras.Model, optimizer: Adam, spec: StepSpec,
                    run: RunState, images, labels, strategy=None):
  """One step on the pool's next batch. Cross-replica context.

  Returns:
    (loss vector in CLASSIFIER_REPORTED order, finite flag, True).
  """
  strategy = strategy or tf.distribute.get_strategy()
  step_seed = tf.stack([run.seed, run.step.read_value()])
  indices = train_step.batch_positions(
      tf.shape(images, out_type=tf.int64)[0], POOL_GROUP, spec, run)
  batch = train_step.augment_batch(tf.gather(images, indices), spec,
                                   step_seed)
  batch_labels = tf.gather(labels, indices)
  vector, grads = train_step.mean_over_replicas(strategy, spec, strategy.run(
      lambda x, y: classifier_gradients(
          model, train_step.replica_slice(x, spec),
          train_step.replica_slice(y, spec)), args=(batch, batch_labels)))
  finite = train_step.all_finite(vector, list(grads))

  def update():
    with tf.control_dependencies([optimizer.apply(grads)]):
      return tf.group(run.group_batches.scatter_nd_add([[POOL_GROUP]], [1]),
                      run.step.assign_add(1))

  tf.cond(finite, update, tf.no_op)
  return vector, finite, tf.constant(True)


def classifier_loop(model: keras.Model, optimizer: Adam, spec: StepSpec,
                    run: RunState, num_steps, images, labels, strategy=None):
  """Up to num_steps classifier steps in the graph (`train_step.run_steps`)."""
  return train_step.run_steps(
      lambda: classifier_step(model, optimizer, spec, run, images, labels,
                              strategy),
      run, num_steps, len(CLASSIFIER_REPORTED))
