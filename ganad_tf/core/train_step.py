"""One training step of the paper's method, top to bottom (Sec. 3.4).

Each step draws one loss group at random, takes that group's next batch,
computes the group's losses and applies one Adam update to G and one to the
group's discriminator (with --disc_steps=k, k - 1 D-only updates on the
same batch come first):

  normal group    G         w_recon recon + w_patch patch + w_latent latent
                            + w_adv adv                       (Eq. 2, 3, 4, 6)
                  D_normal  LSGAN on (x, G(x))                (Eq. 1)
  anomaly group   G         w_abc abc + w_anomaly_adv anomaly_adv  (Eq. 8, 7)
                  D_anomaly LSGAN on (x, G(x))                (Eq. 1)
  either group    head      BCE of head(latent), label = the group
                            (--encoder_head; latent detached; with
                            --head_batches=mixed also on a batch of the
                            other group, labelled so)

(--disc_loss=bce, --detach_patch_loss and --abc_reduction=batch switch to
the readings of the authors' later code.)

The same code runs on one device and on N replicas: the batch is chosen
and augmented once, each replica computes gradients on its slice, the
gradients are averaged, and then one rule holds everywhere: if any loss or
gradient is not finite, nothing is updated and the step counter stays, so
the caller can stop and report it (with --disc_steps > 1, the D-only
updates before the bad one stay applied).

What the compiled graph depends on is the frozen `StepSpec`; what may change
between runs without retracing (loss weights, seed, group probability,
learning rate, the images) lives in `RunState` variables or is an argument.
Every random choice is a stateless function of (seed, step), so a resumed
run repeats an uninterrupted one exactly.
"""

import dataclasses
from typing import Dict, NamedTuple, Optional, Sequence, Tuple

import keras
import tensorflow as tf

from ganad_tf.data import augment as augment_lib
from ganad_tf.core import losses
from ganad_tf.core import config as config_lib
from ganad_tf.core.config import CoreConfig
from ganad_tf.core.optimizer import Adam

# The loss vector a step reports (not the six weights, config.WEIGHT_NAMES):
# each group's weighted losses, its D loss and its weighted G total.
NORMAL_REPORTED = config_lib.NORMAL_WEIGHTS + ('d_normal', 'g_normal')
ANOMALY_REPORTED = config_lib.ANOMALY_WEIGHTS + ('d_anomaly', 'g_anomaly')
REPORTED_NAMES = NORMAL_REPORTED + ANOMALY_REPORTED
# With --encoder_head, each group also reports the head's BCE on its batch.
HEAD_REPORTED = ('head_normal', 'head_anomaly')
NORMAL_GROUP, ANOMALY_GROUP = 0, 1
# Sub-seeds of a step's seed, so that each random choice is independent.
_GROUP_DRAW, _AUGMENT_DRAW, _HEAD_DRAW = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class StepSpec:
  """Everything the traced training graph depends on.

  Two configs with equal specs can share one traced graph; anything not
  here (weights' values, seed, learning rate, epochs, data) can change
  between runs. Built by `from_config` only: the defaults live in the
  config classes.
  """
  image_shape: Tuple[int, int, int]
  batch_size: int
  losses_on: Tuple[str, ...]  # generator losses with a weight > 0
  patch_size: int
  patch_stride: int
  top_patches: int
  augmentation: str  # an augment.PIPELINES name
  norm: str
  adam_beta1: float
  adam_beta2: float
  adam_epsilon: float
  num_replicas: int
  jit_compile: bool
  generator_optimizers: str
  latent_target: str
  disc_steps: int
  disc_loss: str
  detach_patch_loss: bool
  abc_reduction: str
  encoder_head: bool
  head_batches: str

  @classmethod
  def from_config(cls, config: CoreConfig, image_shape: Sequence[int],
                  dataset: str, num_replicas: int = 1) -> 'StepSpec':
    train = config.train
    return cls(
        image_shape=tuple(int(v) for v in image_shape),
        batch_size=train.batch_size,
        # The classifier has no generator losses; its graph is the same
        # whatever weights a config carries.
        losses_on=(() if config.model.kind == 'classifier' else
                   config.weights.losses_on()),
        patch_size=train.patch_size, patch_stride=train.patch_stride,
        top_patches=train.top_patches,
        augmentation=augment_lib.resolve(train.augment, dataset),
        norm=config.model.norm, adam_beta1=train.adam_beta1,
        adam_beta2=train.adam_beta2, adam_epsilon=train.adam_epsilon,
        num_replicas=num_replicas, jit_compile=train.jit_compile,
        generator_optimizers=train.generator_optimizers,
        latent_target=train.latent_target, disc_steps=train.disc_steps,
        disc_loss=train.disc_loss, detach_patch_loss=train.detach_patch_loss,
        abc_reduction=train.abc_reduction,
        encoder_head=config.model.encoder_head,
        head_batches=train.head_batches)

  def uses(self, loss: str) -> bool:
    return loss in self.losses_on

  @property
  def uses_anomaly_group(self) -> bool:
    return config_lib.anomaly_group_on(self.losses_on)

  @property
  def replica_batch(self) -> int:
    return self.batch_size // self.num_replicas

  @property
  def mixed_head(self) -> bool:
    return self.encoder_head and self.head_batches == 'mixed'

  @property
  def group_reported(self) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """The names each group's steps report, normal group first."""
    if not self.encoder_head:
      return NORMAL_REPORTED, ANOMALY_REPORTED
    return (NORMAL_REPORTED + HEAD_REPORTED[:1],
            ANOMALY_REPORTED + HEAD_REPORTED[1:])

  @property
  def reported_names(self) -> Tuple[str, ...]:
    """The loss vector every step returns (a group's unused names 0)."""
    return sum(self.group_reported, ())


class Networks(NamedTuple):
  generator: keras.Model
  encoder: keras.Model  # G_E, shares G's weights
  disc_normal: keras.Model
  disc_anomaly: keras.Model
  head: Optional[keras.Model] = None  # --encoder_head

  def discriminator_for(self, group: int) -> keras.Model:
    return self.disc_normal if group == NORMAL_GROUP else self.disc_anomaly


class Optimizers(NamedTuple):
  generator: Adam  # G in both groups, or in the normal group only
  disc_normal: Adam
  disc_anomaly: Adam
  # G in the anomaly group with generator_optimizers='per_group'.
  generator_anomaly: Optional[Adam] = None
  head: Optional[Adam] = None  # --encoder_head

  def generator_for(self, group: int) -> Adam:
    if group == ANOMALY_GROUP and self.generator_anomaly is not None:
      return self.generator_anomaly
    return self.generator

  def discriminator_for(self, group: int) -> Adam:
    return self.disc_normal if group == NORMAL_GROUP else self.disc_anomaly


class RunState(tf.Module):
  """Per-run values in variables, so a new run does not retrace.

  `step` and `group_batches` are the run's position (checkpointed); the
  others are set by the trainer at the start of each run.
  """

  def __init__(self):
    super().__init__(name='run_state')
    self.loss_weights = tf.Variable(tf.zeros([len(config_lib.WEIGHT_NAMES)]),
                                    trainable=False, name='loss_weights')
    self.normal_prob = tf.Variable(1.0, trainable=False, name='normal_prob')
    self.seed = tf.Variable(0, dtype=tf.int64, trainable=False, name='seed')
    self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name='step')
    # Batches drawn so far from each group: where its shuffled pass stands.
    self.group_batches = tf.Variable([0, 0], dtype=tf.int64, trainable=False,
                                     name='group_batches')
    # Each group's current pass order, recomputed only when a pass starts
    # (an argsort of the whole group every step cost ~0.3 ms at 6,000
    # images). A cache, not state: `forget_orders` after any restore.
    self.order_pass = tf.Variable([-1, -1], dtype=tf.int64, trainable=False,
                                  name='order_pass')
    self.orders = [tf.Variable(tf.zeros([0], tf.int32), trainable=False,
                               shape=tf.TensorShape([None]),
                               name=f'order_{g}') for g in range(2)]

  def weight(self, loss: str):
    return self.loss_weights[config_lib.WEIGHT_NAMES.index(loss)]

  def forget_orders(self):
    self.order_pass.assign([-1, -1])


# Losses -------------------------------------------------------------------

def adversarial_losses(disc: keras.Model, images, reconstructions,
                       target: float, disc_loss: str = 'lsgan'):
  """G's adversarial loss (D(G(x)) pushed toward `target`) and D's loss on
  (x, G(x)), LSGAN or BCE (`losses.ADVERSARIAL`).

  D scores real images and reconstructions in two calls, not one on
  [x; G(x)]: batch norm must see the halves apart, and with instance norm
  the single call measured 20% slower at batch 1 and 16 (G's gradient then
  runs through D's real half too).
  """
  disc_fn, generator_fn = losses.ADVERSARIAL[disc_loss]
  real = disc(images, training=True)
  fake = disc(reconstructions, training=True)
  return generator_fn(fake, target), disc_fn(real, fake)


def weighted_total(run: RunState, values: Dict[str, tf.Tensor],
                   names: Sequence[str]):
  """G's loss for a group: the weighted sum of the group's losses."""
  return tf.add_n([run.weight(n) * values[n] for n in names if n in values])


def add_adversarial(values: Dict[str, tf.Tensor], name: str, disc_name: str,
                    disc: keras.Model, images, reconstructions, target: float,
                    spec: StepSpec):
  """Puts G's adversarial loss `name` and D's loss `disc_name` in `values`;
  returns D's loss."""
  values[name], values[disc_name] = adversarial_losses(
      disc, images, reconstructions, target, spec.disc_loss)
  return values[disc_name]


def normal_group_losses(networks: Networks, spec: StepSpec, run: RunState,
                        images):
  """Normal group: (loss values, G's weighted total, D_normal's loss)."""
  reconstructions, latent = networks.generator(images, training=True)
  values = {'recon': losses.reconstruction_loss(images, reconstructions)}
  if spec.uses('patch'):
    values['patch'] = losses.patch_loss(images, reconstructions,
                                        spec.patch_size, spec.patch_stride,
                                        spec.top_patches)
    if spec.detach_patch_loss:
      values['patch'] = tf.stop_gradient(values['patch'])
  if spec.uses('latent'):
    target = (tf.stop_gradient(latent) if spec.latent_target == 'stop_gradient'
              else latent)
    values['latent'] = losses.latent_loss(
        target, networks.encoder(reconstructions, training=True))
  # Eq. 6: G wants D_normal to call reconstructions of normals real (1).
  disc_loss = (add_adversarial(values, 'adv', 'd_normal', networks.disc_normal,
                               images, reconstructions, 1.0, spec)
               if spec.uses('adv') else None)
  values['g_normal'] = weighted_total(run, values, config_lib.NORMAL_WEIGHTS)
  add_head_loss(values, networks, spec, latent, NORMAL_GROUP)
  return values, values['g_normal'], disc_loss


def anomaly_group_losses(networks: Networks, spec: StepSpec, run: RunState,
                         images):
  """Anomaly group: (loss values, G's weighted total, D_anomaly's loss)."""
  reconstructions, latent = networks.generator(images, training=True)
  values = {}
  if spec.uses('abc'):
    values['abc'] = losses.abc_loss(images, reconstructions,
                                    reduction=spec.abc_reduction)
  # Eq. 7: G wants D_anomaly to call reconstructions of anomalies fake (0).
  disc_loss = (add_adversarial(values, 'anomaly_adv', 'd_anomaly',
                               networks.disc_anomaly, images, reconstructions,
                               0.0, spec)
               if spec.uses('anomaly_adv') else None)
  values['g_anomaly'] = weighted_total(run, values, config_lib.ANOMALY_WEIGHTS)
  add_head_loss(values, networks, spec, latent, ANOMALY_GROUP)
  return values, values['g_anomaly'], disc_loss


def add_head_loss(values: Dict[str, tf.Tensor], networks: Networks,
                  spec: StepSpec, latent, group: int):
  """With --encoder_head (on group batches), puts the head's BCE on the
  group's batch (label: the group) in `values`. The latent is detached: no
  gradient reaches G."""
  if spec.encoder_head and not spec.mixed_head:
    logits = networks.head(tf.stop_gradient(latent), training=True)
    values[HEAD_REPORTED[group]] = losses.head_loss(logits, float(group))


def group_gradients(networks: Networks, spec: StepSpec, run: RunState,
                    images, group: int):
  """Loss vector and the gradients of G and of the group's D on `images`.

  G's gradient is that of G's weighted total only; D's loss (and the
  head's) is a separate gradient, so it never reaches G's variables.
  """
  group_losses = (normal_group_losses if group == NORMAL_GROUP else
                  anomaly_group_losses)
  disc = networks.discriminator_for(group)
  with tf.GradientTape(persistent=True) as tape:
    values, gen_loss, disc_loss = group_losses(networks, spec, run, images)
  gen_grads = tape.gradient(gen_loss, networks.generator.trainable_variables)
  disc_grads = (tape.gradient(disc_loss, disc.trainable_variables)
                if disc_loss is not None else [])
  head_grads = (tape.gradient(values[HEAD_REPORTED[group]],
                              networks.head.trainable_variables)
                if HEAD_REPORTED[group] in values else [])
  del tape
  vector = tf.stack([values.get(n, tf.constant(0.0))
                     for n in spec.reported_names])
  return vector, gen_grads, disc_grads, head_grads


def mixed_head_gradients(networks: Networks, images, other_images,
                         group: int):
  """The head's BCE on the group's batch (label: the group) and a batch of
  the other group (label: the other), and its gradient. G's code is
  computed outside G's tape: no gradient reaches G."""
  both = tf.concat([images, other_images], axis=0)
  labels = tf.concat([tf.fill([tf.shape(images)[0], 1], float(group)),
                      tf.fill([tf.shape(other_images)[0], 1],
                              float(1 - group))], axis=0)
  latent = tf.stop_gradient(networks.encoder(both, training=True))
  with tf.GradientTape() as tape:
    loss = losses.head_loss(networks.head(latent, training=True), labels)
  return loss, tape.gradient(loss, networks.head.trainable_variables)


def disc_only_gradients(networks: Networks, spec: StepSpec, images,
                        group: int):
  """The group's D loss and its gradient, G fixed (the extra D steps)."""
  disc = networks.discriminator_for(group)
  reconstructions = tf.stop_gradient(
      networks.generator(images, training=True)[0])
  with tf.GradientTape() as tape:
    loss = losses.ADVERSARIAL[spec.disc_loss][0](
        disc(images, training=True), disc(reconstructions, training=True))
  return loss, tape.gradient(loss, disc.trainable_variables)


# Batches ------------------------------------------------------------------

def draw_group(run: RunState):
  """The step's seed, and whether this step trains the normal group."""
  step_seed = tf.stack([run.seed, run.step.read_value()])
  draw = tf.random.stateless_uniform(
      [], tf.random.experimental.stateless_fold_in(step_seed, _GROUP_DRAW))
  return step_seed, draw < run.normal_prob


def pass_order(run: RunState, group: int, pass_index, count, cache: bool):
  """The order of pass `pass_index` over a group of `count` images.

  A permutation seeded with (seed, 2 * pass + group), so it does not depend
  on replicas, chunking or restarts.
  """
  def fresh():
    keys = tf.random.stateless_uniform(
        tf.reshape(count, [1]), tf.stack([run.seed, pass_index * 2 + group]))
    return tf.argsort(keys)

  if not cache:  # XLA cannot resize a variable inside the compiled graph.
    return fresh()

  def refresh():
    order = fresh()
    with tf.control_dependencies([
        run.orders[group].assign(order),
        run.order_pass.scatter_nd_update([[group]], [pass_index])]):
      return tf.identity(order)

  cached = run.orders[group].read_value()
  is_current = tf.logical_and(
      tf.equal(run.order_pass[group], pass_index),
      tf.equal(tf.size(cached, out_type=tf.int64), count))
  return tf.cond(is_current, lambda: cached, refresh)


def batch_positions(count, group: int, spec: StepSpec, run: RunState):
  """Indices into a group of `count` images of the group's next (global)
  batch: successive slices of the pass order; a group smaller than a batch
  repeats images within the batch."""
  count = tf.cast(count, tf.int64)
  batch = spec.batch_size
  batches_per_pass = tf.maximum(count // batch, 1)
  drawn = run.group_batches[group]
  order = pass_order(run, group, drawn // batches_per_pass, count,
                     cache=not spec.jit_compile)
  positions = ((drawn % batches_per_pass) * batch +
               tf.range(batch, dtype=tf.int64)) % count
  return tf.gather(order, positions)


def augment_batch(batch_images, spec: StepSpec, step_seed):
  """The step's augmentation of a gathered batch (none if switched off)."""
  augmenter = augment_lib.make_augmenter(spec.augmentation)
  if augmenter is None:
    return batch_images
  return augmenter(batch_images, tf.random.experimental.stateless_fold_in(
      step_seed, _AUGMENT_DRAW))


def next_batch(images, group: int, spec: StepSpec, run: RunState, step_seed):
  """The group's next (global) batch, augmented."""
  indices = batch_positions(tf.shape(images, out_type=tf.int64)[0], group,
                            spec, run)
  return augment_batch(tf.gather(images, indices), spec, step_seed)


def other_group_batch(images, spec: StepSpec, step_seed):
  """A batch of the other group for the mixed head: drawn uniformly with
  replacement from (seed, step) alone, so neither group's pass order (and
  so none of G's batches) moves."""
  seed = tf.random.experimental.stateless_fold_in(step_seed, _HEAD_DRAW)
  indices = tf.random.stateless_uniform(
      [spec.batch_size], seed, maxval=tf.shape(images)[0], dtype=tf.int32)
  return augment_batch(tf.gather(images, indices), spec, seed)


# The step -----------------------------------------------------------------

def replica_slice(images, spec: StepSpec):
  if spec.num_replicas == 1:
    return images
  replica = tf.distribute.get_replica_context().replica_id_in_sync_group
  return images[replica * spec.replica_batch:
                (replica + 1) * spec.replica_batch]


def mean_over_replicas(strategy, spec: StepSpec, per_replica):
  """Averages replica results (each replica's gradients are of its share of
  the batch mean, so the average is the gradient of the global mean)."""
  if spec.num_replicas == 1:
    return per_replica
  mean = tf.distribute.ReduceOp.MEAN
  return tf.nest.map_structure(
      lambda value: strategy.reduce(mean, value, axis=None), per_replica)


def all_finite(vector, gradients):
  return tf.logical_and(tf.reduce_all(tf.math.is_finite(vector)),
                        tf.math.is_finite(tf.linalg.global_norm(gradients)))


def extra_disc_step(networks: Networks, optimizers: Optimizers,
                    spec: StepSpec, strategy, batch, group: int,
                    finite_so_far):
  """One D-only update of the group's D on `batch` (disc_steps > 1, before
  the joint one). From the first non-finite one on, nothing more is
  applied. Returns whether every extra step so far was finite."""
  loss, grads = mean_over_replicas(strategy, spec, strategy.run(
      lambda b: disc_only_gradients(networks, spec, replica_slice(b, spec),
                                    group), args=(batch,)))
  finite = tf.logical_and(finite_so_far, all_finite(loss, grads))
  disc_optimizer = optimizers.discriminator_for(group)
  with tf.control_dependencies([tf.cond(
      finite, lambda: tf.group(disc_optimizer.apply(grads)), tf.no_op)]):
    return tf.identity(finite)


def apply_group_update(optimizers: Optimizers, run: RunState, group: int,
                       gen_grads, disc_grads, head_grads):
  """Applies G's, the group's D's and the head's gradients and advances
  the counters."""
  ops = [optimizers.generator_for(group).apply(gen_grads)]
  if disc_grads:
    ops.append(optimizers.discriminator_for(group).apply(disc_grads))
  if head_grads:
    ops.append(optimizers.head.apply(head_grads))
  with tf.control_dependencies(ops):
    return tf.group(run.group_batches.scatter_nd_add([[group]], [1]),
                    run.step.assign_add(1))


def group_step(networks: Networks, optimizers: Optimizers, spec: StepSpec,
               run: RunState, strategy, images, group: int, step_seed,
               other_images=None):
  """The step for one loss group: its next batch, the extra D steps, the
  gradients averaged over replicas, and the update if all is finite.
  (`other_images`, the other group's, feed the mixed head only.)

  Returns:
    (loss vector in spec.reported_names order, finite flag).
  """
  batch = next_batch(images, group, spec, run, step_seed)
  extra_finite = tf.constant(True)
  uses_disc = spec.uses('adv' if group == NORMAL_GROUP else 'anomaly_adv')
  for _ in range(spec.disc_steps - 1 if uses_disc else 0):
    extra_finite = extra_disc_step(networks, optimizers, spec, strategy,
                                   batch, group, extra_finite)
  with tf.control_dependencies([extra_finite]):
    per_replica = strategy.run(
        lambda b: group_gradients(networks, spec, run, replica_slice(b, spec),
                                  group), args=(batch,))
  vector, gen_grads, disc_grads, head_grads = mean_over_replicas(
      strategy, spec, per_replica)
  if spec.mixed_head:
    other = other_group_batch(other_images, spec, step_seed)
    head_loss, head_grads = mean_over_replicas(strategy, spec, strategy.run(
        lambda b, o: mixed_head_gradients(
            networks, replica_slice(b, spec), replica_slice(o, spec), group),
        args=(batch, other)))
    vector = tf.tensor_scatter_nd_update(
        vector, [[spec.reported_names.index(HEAD_REPORTED[group])]],
        [head_loss])
  finite = tf.logical_and(extra_finite, all_finite(
      vector, list(gen_grads) + list(disc_grads) + list(head_grads)))
  tf.cond(finite, lambda: apply_group_update(optimizers, run, group,
                                             gen_grads, disc_grads,
                                             head_grads),
          tf.no_op)
  return vector, finite


def train_step(networks: Networks, optimizers: Optimizers, spec: StepSpec,
               run: RunState, normal_images, anomaly_images,
               strategy: Optional[tf.distribute.Strategy] = None):
  """One training step. Call in cross-replica context (inside tf.function).

  Returns:
    (loss vector in spec.reported_names order, finite flag, is_normal flag).
    When not finite, no weight, optimizer state or counter changed (except,
    with disc_steps > 1, D updates of the extra D steps before the bad one).
  """
  strategy = strategy or tf.distribute.get_strategy()
  step_seed, is_normal = draw_group(run)

  def step_of(group: int, images, other_images):
    return lambda: group_step(networks, optimizers, spec, run, strategy,
                              images, group, step_seed, other_images)

  if not spec.uses_anomaly_group:
    vector, finite = step_of(NORMAL_GROUP, normal_images, anomaly_images)()
    return vector, finite, tf.constant(True)
  vector, finite = tf.cond(
      is_normal, step_of(NORMAL_GROUP, normal_images, anomaly_images),
      step_of(ANOMALY_GROUP, anomaly_images, normal_images))
  return vector, finite, is_normal


def run_steps(step_fn, run: RunState, num_steps, num_reported: int
              ) -> Dict[str, tf.Tensor]:
  """Runs up to num_steps calls of `step_fn` in the graph; stops at the
  first non-finite one.

  Args:
    step_fn: () -> (loss vector of num_reported values, finite flag,
      is_normal flag); a step that is not finite must change nothing.
    run: the run's state (its step counter names a bad step).
    num_steps: int64 scalar.
    num_reported: length of the loss vector.

  Returns:
    sums: (2, num_reported) loss sums per group (row NORMAL_GROUP,
      ANOMALY_GROUP) over finite steps;
    counts: (2,) finite steps per group;
    bad_step: the first non-finite step, or -1;
    bad_losses: the loss vector of that step.
  """
  def keep_going(i, sums, counts, bad_step, bad_losses):
    del sums, counts, bad_losses
    return tf.logical_and(i < num_steps, bad_step < 0)

  def body(i, sums, counts, bad_step, bad_losses):
    step = run.step.read_value()
    with tf.control_dependencies([step]):
      vector, finite, is_normal = step_fn()
    group = tf.one_hot(tf.where(is_normal, NORMAL_GROUP, ANOMALY_GROUP), 2)
    ok = tf.cast(finite, tf.float32)
    return (i + 1, sums + ok * group[:, None] * vector[None, :],
            counts + ok * group, tf.where(finite, bad_step, step),
            tf.where(finite, bad_losses, vector))

  _, sums, counts, bad_step, bad_losses = tf.while_loop(
      keep_going, body,
      (tf.constant(0, tf.int64), tf.zeros([2, num_reported]),
       tf.zeros([2]), tf.constant(-1, tf.int64), tf.zeros([num_reported])))
  return {'sums': sums, 'counts': counts, 'bad_step': bad_step,
          'bad_losses': bad_losses}


def train_loop(networks: Networks, optimizers: Optimizers, spec: StepSpec,
               run: RunState, num_steps, normal_images, anomaly_images,
               strategy: Optional[tf.distribute.Strategy] = None
               ) -> Dict[str, tf.Tensor]:
  """Runs up to num_steps GAN steps in the graph (see `run_steps`); the
  loss vector is in spec.reported_names order."""
  return run_steps(
      lambda: train_step(networks, optimizers, spec, run, normal_images,
                         anomaly_images, strategy),
      run, num_steps, len(spec.reported_names))
