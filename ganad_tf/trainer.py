"""The training loop: G, D_normal and D_anomaly with random loss groups.

Each step draws one loss group (paper Sec. 3.4: the two groups "are applied
to update the weights ... randomly"):

* normal group: a batch of normal images; G minimises
  w_recon*recon + w_patch*patch + w_latent*latent + w_adv*adv, and D_normal
  its LSGAN loss on (normal images, their reconstructions);
* anomaly group: a batch of anomaly images; G minimises
  w_abc*abc + w_anomaly_adv*anomaly_adv, and D_anomaly its LSGAN loss.

Speed: the training images live in variables and every random choice
(group, batch, augmentation) is a stateless function of (seed, step), so
`steps_per_execution` steps run inside one compiled `tf.function` with no
Python or tf.data work per step. The same property makes resumption exact:
weights, the three optimizers and two step counters are the whole state, and
all of them are in the checkpoint. Loss weights, seed and data are variables
too, so one `Trainer` traces its graph once and then fits any number of runs
(the classes of a benchmark, the points of a grid search).
"""

import dataclasses
import logging
import math
import os
import time
from typing import Dict, List, Optional, Sequence, Tuple

import keras
import numpy as np
import tensorflow as tf

from ganad_tf import augment as augment_lib
from ganad_tf import distribute
from ganad_tf import losses
from ganad_tf import models
from ganad_tf.checks import check_images
from ganad_tf.config import ExperimentConfig
from ganad_tf.errors import CheckpointError, ConfigError, DatasetError
from ganad_tf.errors import NonFiniteLossError
from ganad_tf.progress import ProgressLogger

logger = logging.getLogger('ganad_tf')

WEIGHT_NAMES = ('recon', 'patch', 'latent', 'adv', 'abc', 'anomaly_adv')
NORMAL_LOSSES = ('recon', 'patch', 'latent', 'adv', 'd_normal', 'g_normal')
ANOMALY_LOSSES = ('abc', 'anomaly_adv', 'd_anomaly', 'g_anomaly')
LOSS_NAMES = NORMAL_LOSSES + ANOMALY_LOSSES  # order of the loss vector
_INDEX = {name: i for i, name in enumerate(LOSS_NAMES)}
NORMAL_GROUP, ANOMALY_GROUP = 0, 1
# Sub-seeds of a step's seed, so that each random choice is independent.
_GROUP_DRAW, _AUGMENT_DRAW = 0, 1


@dataclasses.dataclass
class TrainResult:
  """What a finished (possibly resumed) training run reports."""
  steps: int
  epochs: int
  steps_per_epoch: int
  resumed_from_step: int
  train_seconds: float
  images_per_second: float
  final_losses: Dict[str, float]


def structure_key(config: ExperimentConfig, image_shape: Sequence[int],
                  dataset: str) -> Tuple:
  """What fixes a Trainer's graph; configs with equal keys can share one."""
  weights = config.weights
  train = config.train
  return (tuple(image_shape), dataclasses.astuple(config.model),
          tuple(getattr(weights, n) > 0 for n in WEIGHT_NAMES),
          train.batch_size, train.patch_size, train.patch_stride,
          train.top_patches, augment_lib.resolve(train.augment, dataset),
          train.jit_compile, train.deterministic_ops,
          train.adam_beta1, train.adam_beta2, train.adam_epsilon)


class Trainer:
  """The three networks, their optimizers and the compiled training loop.

  Args:
    config: the experiment configuration. Which losses are on, the batch
      size, the patch settings, the augmentation and the model are fixed
      for the Trainer's life (see `structure_key`); weights' values, seed,
      epochs and learning rates can change between `fit` calls.
    image_shape: (H, W, C) of the training images, H == W, multiple of 16.
    dataset: dataset name, used to pick the paper's augmentation.
    strategy: a tf.distribute strategy (MirroredStrategy for several local
      devices, MultiWorkerMirroredStrategy across machines); None uses the
      default single-device strategy. The batch size is global: each of the
      N replicas trains on batch_size / N images of the same global batch.
  """

  def __init__(self, config: ExperimentConfig, image_shape: Sequence[int],
               dataset: str = 'none',
               strategy: Optional[tf.distribute.Strategy] = None):
    image_shape = tuple(int(v) for v in image_shape)
    models.check_input_shape(image_shape)
    if image_shape[0] != image_shape[1]:
      raise ConfigError(f'Training images must be square; got {image_shape}.')
    config.validate(image_size=image_shape[0])
    self.base_config = config
    self.config = config  # the current run's; see fit(config=...)
    self.image_shape = image_shape
    self.dataset = dataset
    self.key = structure_key(config, image_shape, dataset)
    weights, train = config.weights, config.train
    self._on = {name: getattr(weights, name) > 0 for name in WEIGHT_NAMES}
    self.use_anomaly_group = self._on['abc'] or self._on['anomaly_adv']
    self.batch_size = train.batch_size
    self.strategy = strategy or tf.distribute.get_strategy()
    self.num_replicas = self.strategy.num_replicas_in_sync
    if self.batch_size % self.num_replicas:
      raise ConfigError(
          f'batch_size={self.batch_size} is not divisible by the '
          f'{self.num_replicas} replicas of the distribution strategy; use a '
          'multiple of the replica count.')
    self.replica_batch = self.batch_size // self.num_replicas
    self.pipeline = augment_lib.resolve(train.augment, dataset)
    self._augmenter = augment_lib.make_augmenter(self.pipeline)

    if train.deterministic_ops:
      tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(train.seed)
    with self.strategy.scope():
      self._build_state(image_shape)
    self._initial_weights = {train.seed: self._model_weights()}
    self.checkpoint = tf.train.Checkpoint(
        generator=self.generator, disc_normal=self.disc_normal,
        disc_anomaly=self.disc_anomaly, gen_optimizer=self.gen_optimizer,
        disc_normal_optimizer=self.disc_normal_optimizer,
        disc_anomaly_optimizer=self.disc_anomaly_optimizer, step=self.step,
        group_batches=self.group_batches)
    self.manager: Optional[tf.train.CheckpointManager] = None
    self._summary_writer = None
    self.steps_per_epoch = 0
    self.total_steps = 0
    self._log_prefix = ''
    # autograph=False: the loop is written with explicit tf.while_loop and
    # tf.cond, which saves seconds of AutoGraph conversion per trace.
    self._train_chunk = tf.function(self._chunk, autograph=False,
                                    jit_compile=train.jit_compile)

  def _build_state(self, image_shape):
    """Networks, optimizers and run-state variables (in strategy scope)."""
    self.generator, self.disc_normal, self.disc_anomaly = self._build_models()
    self.encoder = models.latent_encoder(self.generator)
    self.gen_optimizer = self._adam('gen_optimizer', self.generator)
    self.disc_normal_optimizer = self._adam('disc_normal_optimizer',
                                            self.disc_normal)
    self.disc_anomaly_optimizer = self._adam('disc_anomaly_optimizer',
                                             self.disc_anomaly)

    # Data and per-run settings live in variables, captured by reference:
    # nothing is baked into the graph, so new runs do not retrace.
    data_shape = tf.TensorShape((None,) + image_shape)
    empty = np.zeros((1,) + image_shape, np.float32)
    self._normal_data = tf.Variable(empty, shape=data_shape, trainable=False,
                                    name='normal_data')
    self._anomaly_data = tf.Variable(empty, shape=data_shape, trainable=False,
                                     name='anomaly_data')
    self._loss_weights = tf.Variable(tf.zeros([len(WEIGHT_NAMES)]),
                                     trainable=False, name='loss_weights')
    self._normal_prob = tf.Variable(1.0, trainable=False, name='normal_prob')
    self._seed = tf.Variable(0, dtype=tf.int64, trainable=False, name='seed')
    # Updated by every replica with the same value; keep the first's.
    first = tf.VariableAggregation.ONLY_FIRST_REPLICA
    self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name='step',
                            aggregation=first)
    # Batches drawn so far from each group: where its shuffled pass stands.
    self.group_batches = tf.Variable([0, 0], dtype=tf.int64, trainable=False,
                                     name='group_batches', aggregation=first)

  def _build_models(self):
    cfg = self.config.model
    generator = models.build_generator(self.image_shape, cfg.base_channels,
                                       cfg.norm)
    discriminators = [
        models.build_discriminator(self.image_shape, cfg.base_channels,
                                   cfg.norm, cfg.disc_final_channels,
                                   name=name)
        for name in ('disc_normal', 'disc_anomaly')]
    return (generator, *discriminators)

  def _model_weights(self) -> List[List[np.ndarray]]:
    return [m.get_weights() for m in
            (self.generator, self.disc_normal, self.disc_anomaly)]

  def _adam(self, name: str, model: keras.Model) -> keras.optimizers.Adam:
    train = self.config.train
    optimizer = keras.optimizers.Adam(
        learning_rate=train.learning_rate, beta_1=train.adam_beta1,
        beta_2=train.adam_beta2, epsilon=train.adam_epsilon, name=name)
    # Built before tracing so its slots exist in the graph and can be
    # restored from a checkpoint.
    optimizer.build(model.trainable_variables)
    return optimizer

  @property
  def optimizers(self):
    return (self.gen_optimizer, self.disc_normal_optimizer,
            self.disc_anomaly_optimizer)

  # Per-run state -------------------------------------------------------------

  def _reset(self, seed: int):
    """Initial weights for `seed`, fresh optimizers, step 0."""
    if seed not in self._initial_weights:
      # The same weights a fresh build with this seed would have.
      keras.utils.set_random_seed(seed)
      fresh = self._build_models()
      self._initial_weights[seed] = [m.get_weights() for m in fresh]
    for model, values in zip(
        (self.generator, self.disc_normal, self.disc_anomaly),
        self._initial_weights[seed]):
      model.set_weights(values)
    for optimizer in self.optimizers:
      for variable in optimizer.variables:
        if not variable.path.endswith('learning_rate'):
          variable.assign(tf.zeros_like(variable))
    self.step.assign(0)
    self.group_batches.assign([0, 0])
    self._seed.assign(seed)

  def learning_rate_at(self, epoch: int) -> float:
    train = self.config.train
    return train.learning_rate * train.lr_decay_factor**(
        epoch // train.lr_decay_epochs)

  def _set_learning_rate(self, epoch: int):
    rate = self.learning_rate_at(epoch)
    for optimizer in self.optimizers:
      optimizer.learning_rate = rate

  # The compiled step -------------------------------------------------------

  def _sample(self, data, group: int, step_seed):
    """This replica's share of the group's next global batch.

    Global batches are successive slices of a per-pass permutation; pass p
    of group g is ordered by a permutation seeded with (seed, 2p+g), so the
    global batch does not depend on the number of replicas. A group smaller
    than the batch repeats images within a batch. The caller advances
    `group_batches` after the step.
    """
    count = tf.cast(tf.shape(data)[0], tf.int64)
    batch = self.batch_size
    replica = tf.cast(
        tf.distribute.get_replica_context().replica_id_in_sync_group,
        tf.int64)
    batches_per_pass = tf.maximum(count // batch, 1)
    drawn = self.group_batches[group]
    pass_index = drawn // batches_per_pass
    position = drawn % batches_per_pass
    keys = tf.random.stateless_uniform(
        tf.reshape(count, [1]), tf.stack([step_seed[0], pass_index * 2 + group]))
    order = tf.argsort(keys)
    positions = (position * batch + replica * self.replica_batch +
                 tf.range(self.replica_batch, dtype=tf.int64)) % count
    images = tf.gather(data, tf.gather(order, positions))
    if self._augmenter is None:
      return images
    seed = tf.random.experimental.stateless_fold_in(step_seed, _AUGMENT_DRAW)
    if self.num_replicas > 1:
      seed = tf.random.experimental.stateless_fold_in(seed, replica)
    return self._augmenter(images, seed)

  @staticmethod
  def _discriminate(disc, images, reconstructions):
    """D's scores of real images and of reconstructions.

    Two calls: measured faster on CPU than one call on the concatenation,
    and correct for batch norm, which must see the halves apart.
    """
    return (disc(images, training=True), disc(reconstructions, training=True))

  def _weight(self, name: str):
    return self._loss_weights[WEIGHT_NAMES.index(name)]

  def _normal_losses(self, step_seed):
    """Normal group: loss values (dict) and the tape that recorded them."""
    train = self.config.train
    images = self._sample(self._normal_data, NORMAL_GROUP, step_seed)
    values = {}
    with tf.GradientTape(persistent=True) as tape:
      reconstructions, latent = self.generator(images, training=True)
      values['recon'] = losses.reconstruction_loss(images, reconstructions)
      total = self._weight('recon') * values['recon']
      if self._on['patch']:
        values['patch'] = losses.patch_loss(
            images, reconstructions, train.patch_size, train.patch_stride,
            train.top_patches)
        total += self._weight('patch') * values['patch']
      if self._on['latent']:
        values['latent'] = losses.latent_loss(
            latent, self.encoder(reconstructions, training=True))
        total += self._weight('latent') * values['latent']
      if self._on['adv']:
        real_scores, fake_scores = self._discriminate(
            self.disc_normal, images, reconstructions)
        values['adv'] = losses.adversarial_loss(fake_scores)
        total += self._weight('adv') * values['adv']
        values['d_normal'] = losses.discriminator_loss(real_scores,
                                                       fake_scores)
      values['g_normal'] = total
    return values, tape

  def _anomaly_losses(self, step_seed):
    """Anomaly group: loss values (dict) and the tape that recorded them."""
    images = self._sample(self._anomaly_data, ANOMALY_GROUP, step_seed)
    values = {}
    with tf.GradientTape(persistent=True) as tape:
      reconstructions, _ = self.generator(images, training=True)
      total = tf.constant(0.0)
      if self._on['abc']:
        values['abc'] = losses.abc_loss(images, reconstructions)
        total += self._weight('abc') * values['abc']
      if self._on['anomaly_adv']:
        real_scores, fake_scores = self._discriminate(
            self.disc_anomaly, images, reconstructions)
        values['anomaly_adv'] = losses.anomaly_adversarial_loss(fake_scores)
        total += self._weight('anomaly_adv') * values['anomaly_adv']
        values['d_anomaly'] = losses.discriminator_loss(real_scores,
                                                        fake_scores)
      values['g_anomaly'] = total
    return values, tape

  def _group_parts(self, group: int):
    if group == NORMAL_GROUP:
      return (self._normal_losses, 'g_normal', 'd_normal', self.disc_normal,
              self.disc_normal_optimizer)
    return (self._anomaly_losses, 'g_anomaly', 'd_anomaly',
            self.disc_anomaly, self.disc_anomaly_optimizer)

  def _group_gradients(self, group: int, step_seed):
    """Loss vector, finite flag, G's and D's gradients for one group."""
    compute, gen_loss, disc_loss, disc, _ = self._group_parts(group)
    values, tape = compute(step_seed)
    gen_grads = tape.gradient(values[gen_loss],
                              self.generator.trainable_variables)
    disc_grads = (tape.gradient(values[disc_loss], disc.trainable_variables)
                  if disc_loss in values else [])
    del tape
    if self.num_replicas > 1:
      # Optimizers sum gradients over replicas; scaling each replica's
      # gradients by 1/N makes the sum the gradient of the global mean.
      scale = 1.0 / self.num_replicas
      gen_grads = [g * scale for g in gen_grads]
      disc_grads = [g * scale for g in disc_grads]
    vector = tf.stack([values.get(name, tf.constant(0.0))
                       for name in LOSS_NAMES])
    finite = tf.logical_and(
        tf.reduce_all(tf.math.is_finite(vector)),
        tf.math.is_finite(tf.linalg.global_norm(gen_grads + disc_grads)))
    return vector, finite, gen_grads, disc_grads

  def _apply_disc(self, group: int, disc_grads):
    _, _, _, disc, optimizer = self._group_parts(group)
    if disc_grads:
      optimizer.apply_gradients(zip(disc_grads, disc.trainable_variables))

  def _apply_gen(self, gen_grads):
    self.gen_optimizer.apply_gradients(
        zip(gen_grads, self.generator.trainable_variables))

  def _draw_group(self):
    """The step's seed and whether it trains the normal group."""
    step_seed = tf.stack([self._seed, self.step.read_value()])
    draw = tf.random.stateless_uniform(
        [], tf.random.experimental.stateless_fold_in(step_seed, _GROUP_DRAW))
    return step_seed, draw < self._normal_prob

  def _advance(self, is_normal):
    group = tf.where(is_normal, NORMAL_GROUP, ANOMALY_GROUP)
    self.group_batches.assign_add(tf.one_hot(group, 2, dtype=tf.int64))
    self.step.assign_add(1)

  def _single_device_step(self):
    """One step; a non-finite step changes no weight and no counter."""
    step_seed, is_normal = self._draw_group()

    def branch(group):
      def run():
        vector, finite, gen_grads, disc_grads = self._group_gradients(
            group, step_seed)

        def update():
          self._apply_disc(group, disc_grads)
          return tf.constant(True)

        tf.cond(finite, update, lambda: tf.constant(False))
        return [vector, finite] + gen_grads
      return run

    if self.use_anomaly_group:
      outputs = tf.cond(is_normal, branch(NORMAL_GROUP),
                        branch(ANOMALY_GROUP))
    else:
      outputs = branch(NORMAL_GROUP)()
    vector, finite, gen_grads = outputs[0], outputs[1], outputs[2:]

    def update():
      # One G update in the graph, shared by both branches.
      self._apply_gen(gen_grads)
      self._advance(is_normal)
      return tf.constant(True)

    tf.cond(finite, update, lambda: tf.constant(False))
    return vector, finite, is_normal

  def _replica_step(self, group: int, step_seed):
    """One replica's step. Updates are unconditional: synchronising
    replicas (the gradient all-reduce) is not allowed inside a tf.cond in
    replica context. A non-finite step still stops training at once, and
    no checkpoint is written after it."""
    vector, finite, gen_grads, disc_grads = self._group_gradients(group,
                                                                  step_seed)
    self._apply_disc(group, disc_grads)
    self._apply_gen(gen_grads)
    # ReduceOp has no MIN: replicas report 1 when non-finite, and the sum
    # over replicas is 0 only if all were finite.
    return vector, 1.0 - tf.cast(finite, tf.float32)

  def _distributed_step(self):
    """One step on every replica; the loss vector averaged over them."""
    if self.num_replicas == 1:
      return self._single_device_step()
    strategy = self.strategy
    step_seed, is_normal = self._draw_group()

    def branch(group):
      def run():
        vector, not_finite = strategy.run(self._replica_step,
                                          args=(group, step_seed))
        return (strategy.reduce(tf.distribute.ReduceOp.MEAN, vector,
                                axis=None),
                strategy.reduce(tf.distribute.ReduceOp.SUM, not_finite,
                                axis=None) < 0.5)
      return run

    # The group choice stays in cross-replica context so that every
    # replica's graph is free of control flow around synchronisation.
    if self.use_anomaly_group:
      vector, finite = tf.cond(is_normal, branch(NORMAL_GROUP),
                               branch(ANOMALY_GROUP))
    else:
      vector, finite = branch(NORMAL_GROUP)()
    self._advance(is_normal)
    return vector, finite, is_normal

  def _chunk(self, num_steps):
    """Runs up to num_steps steps; stops at the first non-finite one.

    Returns:
      sums: (2, len(LOSS_NAMES)) loss sums per group;
      counts: (2,) steps run per group;
      bad_step: the first non-finite step, or -1;
      bad_losses: the loss vector of that step.
    """
    def keep_going(i, sums, counts, bad_step, bad_losses):
      del sums, counts, bad_losses
      return tf.logical_and(i < num_steps, bad_step < 0)

    def body(i, sums, counts, bad_step, bad_losses):
      step = self.step.read_value()
      with tf.control_dependencies([step]):
        vector, finite, is_normal = self._distributed_step()
      one_hot = tf.one_hot(tf.where(is_normal, NORMAL_GROUP, ANOMALY_GROUP), 2)
      ok = tf.cast(finite, tf.float32)
      return (i + 1, sums + ok * one_hot[:, None] * vector[None, :],
              counts + ok * one_hot, tf.where(finite, bad_step, step),
              tf.where(finite, bad_losses, vector))

    _, sums, counts, bad_step, bad_losses = tf.while_loop(
        keep_going, body,
        (tf.constant(0, tf.int64), tf.zeros([2, len(LOSS_NAMES)]),
         tf.zeros([2]), tf.constant(-1, tf.int64),
         tf.zeros([len(LOSS_NAMES)])))
    return sums, counts, bad_step, bad_losses

  # Checkpoints -------------------------------------------------------------

  def restore(self) -> int:
    """Restores the newest readable checkpoint; returns its step (0 if none).

    A checkpoint that fails to load (truncated or corrupt files) is reported,
    renamed aside as `corrupt-*`, and the next older one is tried.

    Raises:
      CheckpointError: checkpoints exist but none of them can be read.
    """
    if self.manager is None or not self.manager.checkpoints:
      return 0
    paths = list(self.manager.checkpoints)
    for index in reversed(range(len(paths))):
      path = paths[index]
      try:
        self.checkpoint.restore(path).assert_existing_objects_matched()
      except Exception as error:  # pylint: disable=broad-except
        # Truncated files raise OpError, IndexError or ValueError depending
        # on where the damage is; any failure means this one is unusable.
        logger.warning('%sCheckpoint %s cannot be read (%s); falling back to '
                       'the previous one.', self._log_prefix, path,
                       str(error).splitlines()[0][:200])
        self._set_aside(path)
        continue
      if index < len(paths) - 1:
        tf.compat.v1.train.update_checkpoint_state(
            self.manager.directory, path, all_model_checkpoint_paths=paths[
                :index + 1])
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, self.manager.directory, max_to_keep=3)
      step = int(self.step.numpy())
      logger.info('%sResumed from %s (step %d).', self._log_prefix, path, step)
      return step
    raise CheckpointError(
        f'None of the checkpoints in {self.manager.directory} can be read; '
        'they were renamed to corrupt-*. Run again to start this run from '
        'scratch.')

  @staticmethod
  def _set_aside(path: str):
    folder, prefix = os.path.split(path)
    for name in os.listdir(folder):
      if name.startswith(prefix + '.'):
        os.replace(os.path.join(folder, name),
                   os.path.join(folder, 'corrupt-' + name))

  def save(self):
    if self.manager is not None:
      self.manager.save(checkpoint_number=int(self.step.numpy()))

  # The loop ------------------------------------------------------------------

  def fit(self, normal_images: np.ndarray, anomaly_images: np.ndarray,
          run_dir: Optional[str] = None, config: Optional[ExperimentConfig] = None,
          log_prefix: str = '') -> TrainResult:
    """Trains from scratch, or resumes from run_dir's newest checkpoint.

    Args:
      normal_images: (N, H, W, C) float32 in [-1, 1].
      anomaly_images: (M, H, W, C) float32 in [-1, 1]; may be empty when
        the anomaly losses are off.
      run_dir: folder for checkpoints and TensorBoard summaries; None keeps
        everything in memory.
      config: a config with the same `structure_key` to use for this run
        (e.g. other loss-weight values); defaults to the one the Trainer
        was built with.
      log_prefix: text in front of every progress line.

    Raises:
      NonFiniteLossError: a loss or gradient became NaN/Inf; names the loss
        and step. Checkpoints already written are kept untouched.
      DatasetError: a needed group has no images.
      InputError: the images are malformed.
    """
    config = config or self.base_config
    if structure_key(config, self.image_shape, self.dataset) != self.key:
      raise ConfigError('This config changes the graph (losses switched on '
                        'or off, batch, patch, model or augmentation); build '
                        'a new Trainer for it.')
    config.validate(image_size=self.image_shape[0])
    self.config = config
    normal_images = check_images(normal_images, 'Normal training images',
                                 self.image_shape)
    if not len(normal_images):
      raise DatasetError('There are no normal training images.')
    anomaly_images = np.asarray(anomaly_images, np.float32)
    if self.use_anomaly_group:
      if not len(anomaly_images):
        raise DatasetError(
            'The anomaly loss group is on but there are no anomaly training '
            'images. Supply anomalies, or switch the group off with '
            '--w_abc=0 --w_anomaly_adv=0.')
      anomaly_images = check_images(anomaly_images, 'Anomaly training images',
                                    self.image_shape)
    else:
      anomaly_images = anomaly_images[:0]
    train = config.train
    self._log_prefix = log_prefix
    self._normal_data.assign(normal_images)
    if len(anomaly_images):
      self._anomaly_data.assign(anomaly_images)
    self._loss_weights.assign([getattr(config.weights, name)
                               for name in WEIGHT_NAMES])
    used = len(normal_images) + len(anomaly_images)
    if not self.use_anomaly_group:
      normal_prob = 1.0
    elif train.group_schedule == 'proportional':
      normal_prob = len(normal_images) / used
    else:
      normal_prob = train.normal_group_prob
    self._normal_prob.assign(normal_prob)
    self.steps_per_epoch = math.ceil(used / train.batch_size)
    self.total_steps = self.steps_per_epoch * train.epochs
    self._counts = (len(normal_images), len(anomaly_images))
    self._reset(train.seed)
    self.manager = None
    self._summary_writer = None
    if run_dir:
      # Under MultiWorkerMirroredStrategy every worker must save (the save
      # runs collectives) but only the chief's copy is the real one.
      folder = ('checkpoints' if self.is_chief() else
                f'.checkpoints_worker_{distribute.task_id(self.strategy)}')
      self.manager = tf.train.CheckpointManager(
          self.checkpoint, os.path.join(run_dir, folder), max_to_keep=3)
      if self.is_chief():
        self._summary_writer = tf.summary.create_file_writer(
            os.path.join(run_dir, 'summaries'))
    try:
      return self._loop()
    finally:
      if self._summary_writer is not None:
        self._summary_writer.close()

  def is_chief(self) -> bool:
    """False only on non-chief workers of a multi-worker strategy."""
    return distribute.is_chief(self.strategy)

  def _loop(self) -> TrainResult:
    train = self.config.train
    start_step = self.restore()
    progress = ProgressLogger(self.total_steps, train.log_every_secs,
                              prefix=f'{self._log_prefix}step ',
                              start=start_step)
    started = time.monotonic()
    last_losses: Dict[str, float] = {}
    step = start_step
    while step < self.total_steps:
      epoch = step // self.steps_per_epoch
      self._set_learning_rate(epoch)
      epoch_end = (epoch + 1) * self.steps_per_epoch
      chunk = min(train.steps_per_execution, epoch_end - step)
      sums, counts, bad_step, bad_losses = self._train_chunk(
          tf.constant(chunk, tf.int64))
      if int(bad_step) >= 0:
        self._raise_non_finite(int(bad_step), bad_losses.numpy())
      step = int(self.step.numpy())
      if counts.numpy().sum():
        last_losses = self._mean_losses(sums.numpy(), counts.numpy())
      self._write_summaries(step, last_losses, epoch)
      if step == epoch_end and ((epoch + 1) % train.checkpoint_every_epochs
                                == 0 or step == self.total_steps):
        self.save()
      progress.update(step, {'epoch': epoch + 1, **last_losses},
                      force=step == self.total_steps)
    seconds = time.monotonic() - started
    images = (step - start_step) * train.batch_size
    return TrainResult(
        steps=step, epochs=train.epochs, steps_per_epoch=self.steps_per_epoch,
        resumed_from_step=start_step, train_seconds=seconds,
        images_per_second=images / seconds if seconds > 0 else 0.0,
        final_losses=last_losses)

  def _mean_losses(self, sums: np.ndarray, counts: np.ndarray):
    means = {}
    for group, names in ((NORMAL_GROUP, NORMAL_LOSSES),
                         (ANOMALY_GROUP, ANOMALY_LOSSES)):
      if counts[group]:
        for name in names:
          means[name] = float(sums[group, _INDEX[name]] / counts[group])
    return means

  def _write_summaries(self, step: int, values: Dict[str, float], epoch: int):
    if self._summary_writer is None:
      return
    with self._summary_writer.as_default(step=step):
      for name, value in values.items():
        tf.summary.scalar(f'loss/{name}', value)
      tf.summary.scalar('learning_rate', self.learning_rate_at(epoch))

  def _raise_non_finite(self, step: int, vector: np.ndarray):
    bad = [name for name, value in zip(LOSS_NAMES, vector)
           if not np.isfinite(value)]
    what = (f'loss {", ".join(bad)}' if bad else
            'a gradient (all losses were finite)')
    kept = (f'the last good checkpoint {self.manager.latest_checkpoint} is '
            'kept' if self.manager is not None and
            self.manager.latest_checkpoint else
            'no checkpoint had been written yet')
    raise NonFiniteLossError(
        f'{self._log_prefix}Training stopped: {what} became NaN/Inf at step '
        f'{step} (epoch {step // self.steps_per_epoch + 1}); that step was '
        f'not applied and {kept}. Lower --learning_rate, check the input '
        'images, or change --seed.')

  def describe(self) -> str:
    train = self.config.train
    normal, anomaly = self._counts
    return (f'{normal} normal + {anomaly} anomaly images {self.image_shape}, '
            f'{self.steps_per_epoch} steps/epoch x {train.epochs} epochs = '
            f'{self.total_steps} steps, batch {train.batch_size}, augmentation '
            f'{self.pipeline!r}, P(normal group)='
            f'{float(self._normal_prob.numpy()):.2f}')

  def parameter_counts(self) -> Dict[str, int]:
    return {
        'generator_params': models.count_trainable_params(self.generator),
        'discriminator_params': models.count_trainable_params(
            self.disc_normal),
    }


def shared_trainer(cache: Dict[Tuple, Trainer], config: ExperimentConfig,
                   image_shape: Sequence[int], dataset: str,
                   strategy: Optional[tf.distribute.Strategy] = None
                   ) -> Trainer:
  """The Trainer in `cache` that fits `config`, built on first use.

  Tracing a Trainer takes seconds; configs with the same `structure_key`
  (ablation rows, grid points, benchmark classes, detector stages) share
  one and only change what `fit` may change.
  """
  key = structure_key(config, image_shape, dataset)
  if key not in cache:
    cache[key] = Trainer(config, image_shape, dataset=dataset,
                         strategy=strategy)
  return cache[key]
