"""Adam with one fused kernel per variable (TF 1.x `AdamOptimizer` maths).

Keras 3's Adam spends about twenty graph ops on every variable; the
networks here are so small that at the paper's batch size of 1 those ops,
not the convolutions, were most of a training step. `ResourceApplyAdam`
does the same update in one kernel:

  m <- m + (g - m)(1 - beta1);  v <- v + (g^2 - v)(1 - beta2)
  var <- var - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)

which is also exactly what the paper's TF 1.14 `tf.train.AdamOptimizer`
computed. Works under tf.distribute: updates go through
`strategy.extended.update`, so each device's copy gets the same update.
"""

from typing import Sequence

import tensorflow as tf


def _tf_variable(variable):
  """The tf.Variable behind a Keras 3 variable (or the variable itself)."""
  return getattr(variable, 'value', variable) if not isinstance(
      variable, tf.Variable) else variable


class Adam(tf.Module):
  """Adam state for one network: moments, step count and learning rate.

  Built before tracing, so its variables exist in the graph and in every
  checkpoint; `reset` returns it to the state of a new optimizer.

  Args:
    variables: the network's trainable variables (Keras or tf).
    learning_rate: initial learning rate (a variable: change with `assign`).
    beta1, beta2, epsilon: Adam constants.
    name: name of the module (shows in checkpoints).
  """

  def __init__(self, variables: Sequence, learning_rate: float,
               beta1: float, beta2: float, epsilon: float, name: str):
    super().__init__(name=name)
    self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
    self._targets = [_tf_variable(v) for v in variables]
    with self.name_scope:
      self.learning_rate = tf.Variable(learning_rate, dtype=tf.float32,
                                       trainable=False, name='learning_rate')
      self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False,
                                    name='iterations')
      self.momentums = [tf.Variable(tf.zeros(v.shape, v.dtype),
                                    trainable=False, name='m')
                        for v in self._targets]
      self.velocities = [tf.Variable(tf.zeros(v.shape, v.dtype),
                                     trainable=False, name='v')
                         for v in self._targets]

  def reset(self):
    """Zero moments and step count (a fresh optimizer)."""
    self.iterations.assign(0)
    for slot in self.momentums + self.velocities:
      slot.assign(tf.zeros(slot.shape, slot.dtype))

  def apply(self, gradients: Sequence[tf.Tensor]):
    """One Adam update of every variable.

    Call in cross-replica context, inside the scope of the variables'
    strategy: outside it, only the first replica's copies would change.
    """
    step = tf.cast(self.iterations + 1, tf.float32)
    beta1_power = tf.pow(tf.constant(self.beta1, tf.float32), step)
    beta2_power = tf.pow(tf.constant(self.beta2, tf.float32), step)
    learning_rate = self.learning_rate.read_value()
    extended = tf.distribute.get_strategy().extended

    def update(variable, gradient, m, v):
      return tf.raw_ops.ResourceApplyAdam(
          var=variable.handle, m=m.handle, v=v.handle,
          beta1_power=beta1_power, beta2_power=beta2_power,
          lr=learning_rate, beta1=self.beta1, beta2=self.beta2,
          epsilon=self.epsilon, grad=gradient)

    updates = [extended.update(variable, update, args=(gradient, m, v),
                               group=True)
               for variable, gradient, m, v in zip(
                   self._targets, gradients, self.momentums,
                   self.velocities)]
    with tf.control_dependencies(tf.nest.flatten(updates)):
      return self.iterations.assign_add(1)
