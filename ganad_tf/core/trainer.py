"""Trainer: the networks, their optimizers, and the loop around the step.

The step itself (losses, batches, updates) is `train_step`; this module
builds what it needs once, runs `steps_per_execution` steps per compiled
call, sets the learning rate per epoch, writes checkpoints and TensorBoard
summaries, and reports progress. One Trainer traces its graph once and then
fits any number of runs with the same `StepSpec` (the classes of a
benchmark, the points of a grid search).

Process-wide switches (op determinism, thread counts) are not set here:
entry points set them with `ganad_tf.core.runtime.configure`.
"""

import dataclasses
import logging
import math
import os
import re
import time
from typing import Dict, List, Optional, Sequence, Tuple

import keras
import numpy as np
import tensorflow as tf

from ganad_tf.core import checkpoints as checkpoints_lib
from ganad_tf.core import classifier_step
from ganad_tf.core import distribute
from ganad_tf import io_utils
from ganad_tf.core import models
from ganad_tf.core import train_step
from ganad_tf.data.checks import check_model_batch
from ganad_tf.core.config import WEIGHT_NAMES, CoreConfig, TrainConfig
from ganad_tf.errors import ConfigError, DatasetError, NonFiniteLossError
from ganad_tf.core.optimizer import Adam
from ganad_tf.progress import ProgressLogger
from ganad_tf.core.train_step import StepSpec

logger = logging.getLogger('ganad_tf')


@dataclasses.dataclass
class TrainResult:
  """What a finished (possibly resumed) training run reports."""
  steps: int
  epochs: int
  steps_per_epoch: int
  resumed_from_step: int
  train_seconds: float
  # The training time of the invocations this one resumed (0.0 for a fresh
  # run); None when a resumed checkpoint has no record of its time.
  earlier_train_seconds: Optional[float]
  images_per_second: float
  final_losses: Dict[str, float]


@dataclasses.dataclass(frozen=True)
class TrainingPlan:
  """One run's schedule, fixed when `fit` starts (nothing in it changes
  during the run): what the loop, `describe` and `learning_rate_at` read."""
  train: TrainConfig
  num_normal: int
  num_anomaly: int
  steps_per_epoch: int
  epochs: int  # after the step budgets (TrainConfig.schedule)
  decay_epochs: int
  normal_prob: float

  @property
  def total_steps(self) -> int:
    return self.steps_per_epoch * self.epochs

  def learning_rate_at(self, epoch: int) -> float:
    return self.train.learning_rate * self.train.lr_decay_factor**(
        epoch // self.decay_epochs)


def plan_training(train: TrainConfig, num_normal: int, num_anomaly: int,
                  uses_anomaly_group: bool) -> TrainingPlan:
  """The schedule of a run on these image counts."""
  used = num_normal + num_anomaly
  if not uses_anomaly_group:
    normal_prob = 1.0  # also the classifier's: its steps use one pool
  elif train.group_schedule == 'proportional':
    normal_prob = num_normal / used
  else:
    normal_prob = train.normal_group_prob
  steps_per_epoch = math.ceil(used / train.batch_size)
  epochs, decay_epochs = train.schedule(steps_per_epoch)
  return TrainingPlan(train, num_normal, num_anomaly, steps_per_epoch,
                      epochs, decay_epochs, normal_prob)


def structure_key(config: CoreConfig, image_shape: Sequence[int],
                  dataset: str, num_replicas: int = 1) -> Tuple:
  """What fixes a Trainer's graph; configs with equal keys can share one."""
  spec = StepSpec.from_config(config, image_shape, dataset, num_replicas)
  return (spec, dataclasses.astuple(config.model))


class GanGraph:
  """The paper's networks (G, D_normal, D_anomaly), one Adam each (two for
  G with generator_optimizers='per_group'), with --encoder_head the head
  and its Adam, and the compiled GAN loop."""

  def __init__(self, spec: StepSpec, model_config, learning_rate: float,
               run: train_step.RunState, strategy: tf.distribute.Strategy):
    self.spec = spec
    self.reported_names = spec.reported_names
    self.group_reported = spec.group_reported
    shape, cfg = spec.image_shape, model_config
    generator = models.build_generator(shape, cfg.base_channels, cfg.norm)
    head = (models.build_encoder_head(generator.output_shape[1][1:],
                                      cfg.base_channels, cfg.encoder_head_pool)
            if spec.encoder_head else None)
    self.networks = train_step.Networks(
        generator=generator, encoder=models.latent_encoder(generator),
        disc_normal=models.build_discriminator(
            shape, cfg.base_channels, cfg.norm, cfg.disc_final_channels,
            name='disc_normal'),
        disc_anomaly=models.build_discriminator(
            shape, cfg.base_channels, cfg.norm, cfg.disc_final_channels,
            name='disc_anomaly'),
        head=head)
    adam = _adam_factory(spec, learning_rate)
    per_group = spec.generator_optimizers == 'per_group'
    self.optimizers = train_step.Optimizers(
        generator=adam('generator', generator),
        disc_normal=adam('disc_normal', self.networks.disc_normal),
        disc_anomaly=adam('disc_anomaly', self.networks.disc_anomaly),
        generator_anomaly=(adam('generator_anomaly', generator)
                           if per_group else None),
        head=adam('encoder_head', head) if head is not None else None)
    # G and the head as one model, which the scorers and snapshots use.
    self._scoring_model = (models.generator_with_head(generator, head)
                           if head is not None else generator)
    # Checkpoint names: older checkpoints are read by these names.
    self.tracked = dict(
        generator=generator, disc_normal=self.networks.disc_normal,
        disc_anomaly=self.networks.disc_anomaly,
        gen_optimizer=self.optimizers.generator,
        disc_normal_optimizer=self.optimizers.disc_normal,
        disc_anomaly_optimizer=self.optimizers.disc_anomaly)
    if per_group:
      self.tracked['gen_anomaly_optimizer'] = self.optimizers.generator_anomaly
    if head is not None:
      self.tracked.update(encoder_head=head,
                          encoder_head_optimizer=self.optimizers.head)
    networks, optimizers = self.networks, self.optimizers

    def loop(num_steps, normal_images, anomaly_images):
      # In scope, so that optimizers update every replica's copy.
      with strategy.scope():
        return train_step.train_loop(networks, optimizers, spec, run,
                                     num_steps, normal_images,
                                     anomaly_images, strategy)
    self.loop = _compile(loop, spec)

  @property
  def models(self) -> Tuple[keras.Model, ...]:
    """The networks a run starts from fresh weights."""
    networks = self.networks
    return (networks.generator, networks.disc_normal, networks.disc_anomaly
            ) + ((networks.head,) if networks.head is not None else ())

  @property
  def all_optimizers(self) -> List[Adam]:
    return [o for o in self.optimizers if o is not None]

  @property
  def scoring_model(self) -> keras.Model:
    """G, or with --encoder_head G and the head (`generator_with_head`)."""
    return self._scoring_model

  @property
  def needs_anomalies(self) -> bool:
    return self.spec.uses_anomaly_group

  def loop_inputs(self, normal_images, anomaly_images):
    # An unused anomaly group still needs one image for the signature.
    return (tf.constant(normal_images),
            tf.constant(anomaly_images if len(anomaly_images) else
                        normal_images[:1]))

  def parameter_counts(self) -> Dict[str, int]:
    """G's count, and one D's when a discriminator is trained."""
    counts = {'generator_params': models.count_trainable_params(
        self.networks.generator)}
    if self.spec.uses('adv') or self.spec.uses('anomaly_adv'):
      counts['discriminator_params'] = models.count_trainable_params(
          self.networks.disc_normal)
    if self.networks.head is not None:
      counts['encoder_head_params'] = models.count_trainable_params(
          self.networks.head)
    return counts


class ClassifierGraph:
  """The supervised baseline (`--model=classifier`): one CNN, one Adam and
  the compiled classifier loop (`classifier_step`)."""

  reported_names = classifier_step.CLASSIFIER_REPORTED
  group_reported = (classifier_step.CLASSIFIER_REPORTED, ())
  needs_anomalies = True

  def __init__(self, spec: StepSpec, model_config, learning_rate: float,
               run: train_step.RunState, strategy: tf.distribute.Strategy):
    self.spec = spec
    self.classifier = models.build_classifier(spec.image_shape,
                                              model_config.base_channels)
    self.optimizer = _adam_factory(spec, learning_rate)('classifier',
                                                        self.classifier)
    self.tracked = dict(classifier=self.classifier,
                        classifier_optimizer=self.optimizer)
    classifier, optimizer = self.classifier, self.optimizer

    def loop(num_steps, images, labels):
      with strategy.scope():
        return classifier_step.classifier_loop(
            classifier, optimizer, spec, run, num_steps, images, labels,
            strategy)
    self.loop = _compile(loop, spec, tf.TensorSpec([None], tf.float32))

  @property
  def models(self) -> Tuple[keras.Model, ...]:
    return (self.classifier,)

  @property
  def all_optimizers(self) -> List[Adam]:
    return [self.optimizer]

  @property
  def scoring_model(self) -> keras.Model:
    return self.classifier

  def loop_inputs(self, normal_images, anomaly_images):
    """One labelled pool: normal 0, anomaly 1."""
    labels = np.concatenate([np.zeros(len(normal_images), np.float32),
                             np.ones(len(anomaly_images), np.float32)])
    return (tf.constant(np.concatenate([normal_images, anomaly_images])),
            tf.constant(labels))

  def parameter_counts(self) -> Dict[str, int]:
    return {'classifier_params': models.count_trainable_params(
        self.classifier)}


GRAPHS = {'gan': GanGraph, 'autoencoder': GanGraph,
          'classifier': ClassifierGraph}


def _adam_factory(spec: StepSpec, learning_rate: float):
  def adam(name: str, model: keras.Model) -> Adam:
    return Adam(model.trainable_variables, learning_rate, spec.adam_beta1,
                spec.adam_beta2, spec.adam_epsilon, name=f'{name}_optimizer')
  return adam


def _compile(loop, spec: StepSpec,
             second_input: Optional[tf.TensorSpec] = None):
  """`loop(num_steps, images, second)` as one tf.function; it captures only
  frozen or variable state, so later runs never retrace it.

  The images are arguments, not variables: a variable that is gathered
  from is copied whole on every later read (TF's copy-on-read mode), which
  cost ~9 ms per step at 5,000 images. autograph=False: the loop is
  explicit tf.while_loop/tf.cond, and AutoGraph would cost seconds.
  """
  image_spec = tf.TensorSpec((None,) + spec.image_shape, tf.float32)
  return tf.function(
      loop, autograph=False, jit_compile=spec.jit_compile,
      input_signature=[tf.TensorSpec([], tf.int64), image_spec,
                       second_input or image_spec])


class Trainer:
  """A model's networks, optimizers and compiled loop, and the loop around
  it: schedule, checkpoints, summaries, progress.

  Args:
    config: the core configuration; `config.model.kind` picks the graph
      (GanGraph for 'gan' and 'autoencoder', ClassifierGraph). What
      `structure_key` holds (model, which losses are on, batch size, patch
      settings, augmentation, Adam constants, generator_optimizers,
      latent_target, disc_steps) is fixed for the Trainer's life; weights'
      values, seed, epochs, min_steps and learning rates can change between
      `fit` calls.
    image_shape: (H, W, C) of the training images, H == W, multiple of 16.
    dataset: dataset name, used to pick the paper's augmentation.
    strategy: a tf.distribute strategy (MirroredStrategy for several local
      devices, MultiWorkerMirroredStrategy across machines); None uses the
      default single-device strategy. The batch size is global: each of the
      N replicas trains on batch_size / N images of the same global batch.
  """

  def __init__(self, config: CoreConfig, image_shape: Sequence[int],
               dataset: str = 'none',
               strategy: Optional[tf.distribute.Strategy] = None):
    image_shape = tuple(int(v) for v in image_shape)
    models.check_input_shape(image_shape)
    if image_shape[0] != image_shape[1]:
      raise ConfigError(f'Training images must be square; got {image_shape}.')
    config.validate(image_size=image_shape[0])
    self.strategy = strategy or tf.distribute.get_strategy()
    replicas = self.strategy.num_replicas_in_sync
    if config.train.batch_size % replicas:
      raise ConfigError(
          f'batch_size={config.train.batch_size} is not divisible by the '
          f'{replicas} replicas of the distribution strategy; use a multiple '
          'of the replica count.')
    self.base_config = config
    self.image_shape = image_shape
    self.dataset = dataset
    self.key = structure_key(config, image_shape, dataset, replicas)
    self.spec: StepSpec = self.key[0]
    self.kind = config.model.kind
    self.run_state = train_step.RunState()
    with self.strategy.scope():
      self.graph = GRAPHS[self.kind](self.spec, config.model,
                                     config.train.learning_rate,
                                     self.run_state, self.strategy)
    self.checkpoint = tf.train.Checkpoint(
        **self.graph.tracked, step=self.run_state.step,
        group_batches=self.run_state.group_batches)
    self._reported_index = {name: i for i, name in
                            enumerate(self.graph.reported_names)}
    self._initial_weights: Dict[int, List[List[np.ndarray]]] = {}
    self.config = config  # the current run's; see fit(config=...)
    self.manager: Optional[tf.train.CheckpointManager] = None
    self._summary_writer = None
    # The current (or last) run's schedule; before any run, the config's.
    self.plan = plan_training(config.train, 0, 0, False)
    self._earlier_seconds: Optional[float] = 0.0  # see TrainResult
    self._loop_started = time.monotonic()
    self._log_prefix = ''
    self._run_dir: Optional[str] = None
    self._reset(config.train.seed)

  def _gan(self) -> GanGraph:
    if not isinstance(self.graph, GanGraph):
      raise ConfigError(f'A {self.kind!r} model has no generator or '
                        'discriminators; use `scoring_model`.')
    return self.graph

  @property
  def networks(self) -> train_step.Networks:
    return self._gan().networks

  @property
  def optimizers(self) -> train_step.Optimizers:
    return self._gan().optimizers

  @property
  def generator(self):
    return self.networks.generator

  @property
  def disc_normal(self):
    return self.networks.disc_normal

  @property
  def disc_anomaly(self):
    return self.networks.disc_anomaly

  @property
  def scoring_model(self) -> keras.Model:
    """The network that scores images: G, or the classifier."""
    return self.graph.scoring_model

  @property
  def step(self) -> tf.Variable:
    return self.run_state.step

  @property
  def _compiled_loop(self):
    return self.graph.loop

  def _models(self):
    return self.graph.models

  def _all_optimizers(self) -> List[Adam]:
    return self.graph.all_optimizers

  # Per-run state -------------------------------------------------------------

  def initial_weights(self, seed: int) -> List[List[np.ndarray]]:
    """The weights of the graph's `models` (G, D_normal, D_anomaly; or the
    classifier) at the start of a run."""
    if seed not in self._initial_weights:
      init = self.base_config.model.init  # part of the structure key
      self._initial_weights[seed] = [models.initial_weights(m, seed, init)
                                     for m in self._models()]
    return self._initial_weights[seed]

  def _reset(self, seed: int):
    """Initial weights for `seed`, fresh optimizers, step 0."""
    for model, values in zip(self._models(), self.initial_weights(seed)):
      model.set_weights(values)
    for optimizer in self._all_optimizers():
      optimizer.reset()
    self.run_state.step.assign(0)
    self.run_state.group_batches.assign([0, 0])
    self.run_state.seed.assign(seed)
    self.run_state.forget_orders()

  def learning_rate_at(self, epoch: int) -> float:
    return self.plan.learning_rate_at(epoch)

  @property
  def steps_per_epoch(self) -> int:
    return self.plan.steps_per_epoch

  # The loop ------------------------------------------------------------------

  def fit(self, normal_images: np.ndarray, anomaly_images: np.ndarray,
          run_dir: Optional[str] = None, config: Optional[CoreConfig] = None,
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
    if structure_key(config, self.image_shape, self.dataset,
                     self.spec.num_replicas) != self.key:
      raise ConfigError('This config changes the graph (losses switched on '
                        'or off, batch, patch, model, Adam constants, '
                        'augmentation, generator_optimizers, latent_target '
                        'or disc_steps); build a new Trainer for it.')
    config.validate(image_size=self.image_shape[0])
    normal_images = check_model_batch(
        normal_images, 'Normal training images', self.image_shape)
    if not len(normal_images):
      raise DatasetError('There are no normal training images.')
    if self.graph.needs_anomalies:
      if not len(anomaly_images):
        raise DatasetError(
            'The classifier needs anomaly training images (it learns normal '
            'against anomaly); supply anomalies, or use --model=autoencoder.'
            if self.kind == 'classifier' else
            'The anomaly loss group is on but there are no anomaly training '
            'images. Supply anomalies, or switch the group off with '
            '--w_abc=0 --w_anomaly_adv=0.')
      anomaly_images = check_model_batch(
          anomaly_images, 'Anomaly training images', self.image_shape)
    else:
      anomaly_images = normal_images[:0]
    self.config = config
    train = config.train
    self._log_prefix = log_prefix
    self.plan = plan_training(train, len(normal_images), len(anomaly_images),
                              self.spec.uses_anomaly_group)
    self._reset(train.seed)
    self.run_state.loss_weights.assign([getattr(config.weights, name)
                                        for name in WEIGHT_NAMES])
    self.run_state.normal_prob.assign(self.plan.normal_prob)
    images = self.graph.loop_inputs(normal_images, anomaly_images)
    self.manager = None
    self._summary_writer = None
    self._run_dir = run_dir
    self._earlier_seconds = 0.0
    start_step = 0
    if run_dir:
      # Under MultiWorkerMirroredStrategy every worker must save (the save
      # runs collectives) but only the chief's copy is the real one.
      folder = ('checkpoints' if self.is_chief() else
                f'.checkpoints_worker_{distribute.task_id(self.strategy)}')
      self.manager, restored = checkpoints_lib.open_and_restore(
          self.checkpoint, os.path.join(run_dir, folder), log_prefix)
      if restored:
        start_step = int(self.step.numpy())
        logger.info('%sResumed from %s (step %d).', log_prefix, restored,
                    start_step)
        self._earlier_seconds = checkpoints_lib.read_train_seconds(
            self.manager.directory, start_step)
      if self.is_chief():
        self._summary_writer = tf.summary.create_file_writer(
            os.path.join(run_dir, 'summaries'))
    try:
      return self._loop(start_step, images)
    finally:
      if self._summary_writer is not None:
        self._summary_writer.close()

  def is_chief(self) -> bool:
    """False only on non-chief workers of a multi-worker strategy."""
    return distribute.is_chief(self.strategy)

  def save(self):
    if self.manager is None:
      return
    step = int(self.step.numpy())
    self.manager.save(checkpoint_number=step)
    if self._earlier_seconds is not None and self.is_chief():
      # Beside the checkpoint, not in it: a new variable in the checkpoint
      # would make older checkpoints unreadable.
      checkpoints_lib.write_train_seconds(
          self.manager.directory, step,
          self._earlier_seconds + time.monotonic() - self._loop_started)

  def _end_of_epoch(self, epochs_done: int):
    """Snapshot (before the checkpoint that would skip it on resume), then
    checkpoint."""
    train = self.config.train
    if (self._run_dir and self.is_chief() and train.snapshot_every_epochs and
        epochs_done % train.snapshot_every_epochs == 0):
      weights = self.scoring_model.get_weights()
      io_utils.save_npz(snapshot_path(self._run_dir, epochs_done),
                        **{f'w{i:03d}': w for i, w in enumerate(weights)})
    if (epochs_done % train.checkpoint_every_epochs == 0 or
        self.step.numpy() == self.plan.total_steps):
      self.save()

  def _set_learning_rate(self, epoch: int):
    rate = self.learning_rate_at(epoch)
    for optimizer in self._all_optimizers():
      optimizer.learning_rate.assign(rate)

  def _loop(self, start_step: int, images) -> TrainResult:
    train, plan = self.config.train, self.plan
    progress = ProgressLogger(plan.total_steps, train.log_every_secs,
                              prefix=f'{self._log_prefix}step ',
                              start=start_step)
    started = self._loop_started = time.monotonic()
    last_losses: Dict[str, float] = {}
    step = start_step
    while step < plan.total_steps:
      epoch = step // plan.steps_per_epoch
      self._set_learning_rate(epoch)
      epoch_end = (epoch + 1) * plan.steps_per_epoch
      chunk = min(train.steps_per_execution, epoch_end - step)
      out = self._compiled_loop(tf.constant(chunk, tf.int64), *images)
      if int(out['bad_step']) >= 0:
        self._raise_non_finite(int(out['bad_step']),
                               out['bad_losses'].numpy())
      step = int(self.step.numpy())
      counts = out['counts'].numpy()
      if counts.sum():
        last_losses = self._mean_losses(out['sums'].numpy(), counts)
      self._write_summaries(step, last_losses, epoch)
      if step == epoch_end:
        self._end_of_epoch(epoch + 1)
      progress.update(step, {'epoch': epoch + 1, **last_losses},
                      force=step == plan.total_steps)
    seconds = time.monotonic() - started
    images_done = (step - start_step) * train.batch_size
    return TrainResult(
        steps=step, epochs=plan.epochs, steps_per_epoch=plan.steps_per_epoch,
        resumed_from_step=start_step, train_seconds=seconds,
        earlier_train_seconds=self._earlier_seconds,
        images_per_second=images_done / seconds if seconds > 0 else 0.0,
        final_losses=last_losses)

  def _mean_losses(self, sums: np.ndarray, counts: np.ndarray):
    means = {}
    for group, names in enumerate(self.graph.group_reported):
      if counts[group]:
        for name in names:
          means[name] = float(sums[group, self._reported_index[name]] /
                              counts[group])
    return means

  def _write_summaries(self, step: int, values: Dict[str, float], epoch: int):
    if self._summary_writer is None:
      return
    with self._summary_writer.as_default(step=step):
      for name, value in values.items():
        tf.summary.scalar(f'loss/{name}', value)
      tf.summary.scalar('learning_rate', self.learning_rate_at(epoch))

  def _raise_non_finite(self, step: int, vector: np.ndarray):
    bad = [name for name, value in zip(self.graph.reported_names, vector)
           if not np.isfinite(value)]
    what = (f'loss {", ".join(bad)}' if bad else
            'a gradient (all losses were finite)' if self.spec.disc_steps == 1
            else 'a gradient or an extra discriminator step (all losses of '
            'the joint step were finite)')
    kept = (f'the last good checkpoint {self.manager.latest_checkpoint} is '
            'kept' if self.manager is not None and
            self.manager.latest_checkpoint else
            'no checkpoint had been written yet')
    raise NonFiniteLossError(
        f'{self._log_prefix}Training stopped: {what} became NaN/Inf at step '
        f'{step} (epoch {step // self.plan.steps_per_epoch + 1}); that step '
        f'was '
        f'not applied and {kept}. Lower --learning_rate, check the input '
        'images, or change --seed.')

  def describe(self) -> str:
    """The current (or last) run's data and schedule, one line."""
    plan = self.plan
    train = plan.train
    scaled = ('' if plan.epochs == train.epochs else
              f' (--epochs={train.epochs} x {plan.epochs // train.epochs} '
              f'to reach --min_steps={train.min_steps})'
              if plan.epochs > train.epochs else
              f' (--epochs={train.epochs} cut to fit --max_steps='
              f'{train.max_steps})')
    batches = (', mixed batches from one pool' if self.kind == 'classifier'
               else f', P(normal group)={plan.normal_prob:.2f}')
    return (f'{self.kind}: {plan.num_normal} normal + {plan.num_anomaly} '
            f'anomaly images {self.image_shape}, {plan.steps_per_epoch} '
            f'steps/epoch x {plan.epochs} epochs = {plan.total_steps} '
            f'steps{scaled}, batch {train.batch_size}, augmentation '
            f'{self.spec.augmentation!r}{batches}')

  def parameter_counts(self) -> Dict[str, int]:
    return self.graph.parameter_counts()


# The one description of the snapshot layout: run_dir/snapshots/epoch_NNNN.npz.
SNAPSHOT_FOLDER = 'snapshots'
_SNAPSHOT_NAME = re.compile(r'epoch_(\d+)\.npz')


def snapshot_path(run_dir: str, epoch: int) -> str:
  return os.path.join(run_dir, SNAPSHOT_FOLDER, f'epoch_{epoch:04d}.npz')


def list_snapshots(run_dir: str) -> Dict[int, str]:
  """Epoch -> snapshot file of the snapshots saved in `run_dir`."""
  folder = os.path.join(run_dir, SNAPSHOT_FOLDER)
  names = os.listdir(folder) if os.path.isdir(folder) else []
  found = {}
  for name in names:
    match = _SNAPSHOT_NAME.fullmatch(name)
    if match:
      found[int(match.group(1))] = os.path.join(folder, name)
  return dict(sorted(found.items()))


def load_snapshot(path: str) -> List[np.ndarray]:
  """G's weights from a snapshot file, in `get_weights` order."""
  with np.load(path) as arrays:
    return [arrays[name] for name in sorted(arrays.files)]


def shared_trainer(cache: Dict[Tuple, Trainer], config: CoreConfig,
                   image_shape: Sequence[int], dataset: str,
                   strategy: Optional[tf.distribute.Strategy] = None
                   ) -> Trainer:
  """The Trainer in `cache` that fits `config`, built on first use.

  Tracing a Trainer takes seconds; configs with the same `structure_key`
  (ablation rows, grid points, benchmark classes, detector stages) share
  one and only change what `fit` may change.
  """
  replicas = (strategy or tf.distribute.get_strategy()).num_replicas_in_sync
  key = structure_key(config, image_shape, dataset, replicas)
  if key not in cache:
    cache[key] = Trainer(config, image_shape, dataset=dataset,
                         strategy=strategy)
  return cache[key]
