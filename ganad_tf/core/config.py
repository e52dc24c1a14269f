"""The core configuration: model, loss weights, training schedule, scoring.

Every number the paper fixes has its paper value as the default here (Table 2
weights, Table 3 hyperparameters); every detail the paper leaves open is a
named field whose docstring says which reading the default follows.
Configs are plain dataclasses so they serialise to JSON beside every result.

`CoreConfig` holds what training needs. Each user adds its own data
section: `ganad_tf.benchmark.config.BenchmarkConfig` (a benchmark dataset
and the paper's protocol) and `ganad_tf.inspection.config.InspectionConfig`
(a folder of photos); each entry point defines flags for its own config
only.
"""

import dataclasses
import hashlib
import json
from typing import Any, Dict, Optional, Sequence, Tuple

from ganad_tf.errors import ConfigError

NORMALIZATIONS = ('instance', 'batch', 'none')
AUGMENTATIONS = ('paper', 'none', 'mnist', 'fashion_mnist', 'cifar', 'defect',
                 'authors')
GROUP_SCHEDULES = ('random', 'proportional')
GENERATOR_OPTIMIZERS = ('shared', 'per_group')
LATENT_TARGETS = ('joint', 'stop_gradient')
DISC_LOSSES = ('lsgan', 'bce')
ABC_REDUCTIONS = ('image', 'batch')
HEAD_BATCHES = ('group', 'mixed')
HEAD_POOLS = ('average', 'flatten')
INITS = ('glorot', 'normal')
SCORES = ('l1', 'l2', 'patch')
# What is trained: the paper's method, or one of the two baselines a user
# would try first (a supervised CNN; G as a plain auto-encoder).
MODEL_KINDS = ('gan', 'classifier', 'autoencoder')
# The classifier's one score: its logit for "anomaly" (the probability's
# order, without float32 saturation ties near 1).
CLASSIFIER_SCORE = 'logit'
# The score of a GAN trained with --encoder_head: the head's logit.
HEAD_SCORE = 'head'
# What --score may name: a reconstruction score, or the head's.
EVAL_SCORES = SCORES + (HEAD_SCORE,)


def option(default, help_text: str,
           choices: Optional[Sequence[Any]] = None,
           flag: Optional[str] = None):
  """A config field with what its command-line flag needs: the help text,
  the allowed values, and the flag's name where it is not the field's.

  Entry points generate one flag per field from these (experiments.flags),
  so a field's default, help and choices are written once, here.
  """
  metadata = {'help': help_text}
  if choices is not None:
    metadata['choices'] = tuple(choices)
  if flag is not None:
    metadata['flag'] = flag
  return dataclasses.field(default=default, metadata=metadata)


def _weight(default: float, loss: str):
  return option(default, f'Weight of the {loss} loss (paper Table 2); 0 '
                'turns it off.', flag=f'w_{loss}')


@dataclasses.dataclass
class LossWeights:
  """Weights of the six generator losses (paper Table 2).

  A weight of zero switches its loss off, which is how the ablation study
  (Table 6) is expressed. The field order is the one list of loss names:
  normal group (NORMAL_WEIGHTS) recon, patch, latent, adv; anomaly group
  (ANOMALY_WEIGHTS) abc, anomaly_adv.
  """
  recon: float = _weight(1.5, 'recon')
  patch: float = _weight(1.5, 'patch')
  latent: float = _weight(0.5, 'latent')
  adv: float = _weight(0.5, 'adv')
  abc: float = _weight(0.5, 'abc')
  anomaly_adv: float = _weight(1.0, 'anomaly_adv')

  def normal_sum(self) -> float:
    return sum(getattr(self, name) for name in NORMAL_WEIGHTS)

  def anomaly_sum(self) -> float:
    return sum(getattr(self, name) for name in ANOMALY_WEIGHTS)

  def losses_on(self) -> Tuple[str, ...]:
    """The losses with a weight above 0, in WEIGHT_NAMES order."""
    return tuple(n for n in WEIGHT_NAMES if getattr(self, n) > 0)

  @property
  def uses_anomaly_group(self) -> bool:
    return anomaly_group_on(self.losses_on())

  def validate(self):
    for field in dataclasses.fields(self):
      value = getattr(self, field.name)
      if not isinstance(value, (int, float)) or value != value or value < 0:
        raise ConfigError(
            f'Loss weight {field.name}={value!r} must be a finite number '
            '>= 0 (0 switches the loss off).')
    if self.normal_sum() == 0:
      raise ConfigError('All normal-group loss weights are 0, so nothing '
                        'teaches the generator to reconstruct normal images; '
                        'set at least --w_recon > 0.')



# The generator's loss names, in LossWeights' field order, by loss group.
WEIGHT_NAMES = tuple(field.name for field in dataclasses.fields(LossWeights))
NORMAL_WEIGHTS = WEIGHT_NAMES[:4]
ANOMALY_WEIGHTS = WEIGHT_NAMES[4:]


def saved_model_file(kind: str) -> str:
  """The file name a model kind's trained scoring network is saved as."""
  check_choice('model', kind, MODEL_KINDS)
  return 'classifier.keras' if kind == 'classifier' else 'generator.keras'


def autoencoder_weights(weights: LossWeights) -> LossWeights:
  """The weights of --model=autoencoder: reconstruction alone."""
  return LossWeights(**{name: (getattr(weights, name) if name == 'recon'
                               else 0.0) for name in WEIGHT_NAMES})


def anomaly_group_on(losses_on: Sequence[str]) -> bool:
  """Whether training with these losses on uses the anomaly loss group:
  the one answer to that question. (Whether training needs anomaly images
  at all is `CoreConfig.needs_anomalies`: the classifier needs them too.)"""
  return any(name in ANOMALY_WEIGHTS for name in losses_on)


@dataclasses.dataclass
class ModelConfig:
  """What is trained, and its widths and layer choices.

  Attributes:
    kind: 'gan' (default): the paper's method, G with D_normal and
      D_anomaly. 'classifier': a supervised CNN on the same labelled,
      balanced training images, trained with binary cross-entropy; its
      score is the anomaly logit (`models.build_classifier`: G's encoder at
      1.5x width, the same size as G). 'autoencoder': G trained with the L1
      reconstruction loss on normal images alone (Table 6's first row);
      its other loss weights are set to 0 whatever was passed.
    base_channels: width of the first encoder layer; layers double from it.
      8 reproduces the paper's per-layer parameter counts exactly
      (97,755 for G and ~76.4K for D on 32x32x3).
    norm: normalisation after every inner convolution. 'instance' (default)
      is what pix2pix-style nets trained at the paper's batch size of 1
      compute (batch statistics of one image) and behaves the same at any
      batch size and at test time; 'batch' is Keras BatchNormalization;
      'none' uses convolution biases only. Each keeps the paper's count
      within 0.2%: inner convolutions drop their bias and the norm adds a
      per-channel scale and offset, 2C instead of C.
    disc_final_channels: channels of the fifth discriminator convolution;
      32 makes that layer 4*4*64*32 = 32,768 weights, the paper's 32.77K.
    init: kernel initialisation. 'glorot' (default): Glorot-uniform, TF
      1.x's and Keras' default (the paper used TF 1.14). 'normal': N(0,
      0.02), the authors' later code (and DCGAN's / pix2pix's).
    encoder_head: the authors' later move toward a classifier: a small CNN
      (`models.build_encoder_head`) on G's latent code, trained with binary
      cross-entropy (normal 0, anomaly 1) on each step's batch beside G's
      losses. Its input is detached, so G trains exactly as without it; it
      adds the score kind HEAD_SCORE (its logit) beside the
      reconstruction scores.
    encoder_head_pool: how the head reads its feature map (our reading
      open to choice). 'average' (default): global average pooling, as the
      authors' later code, blind to where on the image a feature is.
      'flatten': every position's features feed the logit, so a defect's
      place counts (large latent grids, e.g. 6x6 at 96 px).
  """
  kind: str = option(
      'gan', "gan: the paper's method; classifier: a supervised CNN of G's "
      'size on the same labelled images (the baseline to beat); '
      'autoencoder: G with the L1 loss on normal images alone.',
      choices=MODEL_KINDS, flag='model')
  base_channels: int = option(
      8, 'Width of the first conv layer (8 = paper counts).')
  norm: str = option('instance', 'Normalisation after inner convolutions.',
                     choices=NORMALIZATIONS)
  disc_final_channels: int = option(
      32, 'Channels of the last discriminator conv (32 = paper count).')
  init: str = option(
      'glorot', "Kernel init: glorot (TF1/Keras default) or normal (N(0, "
      "0.02), the authors' later code).", choices=INITS)
  encoder_head: bool = option(
      False, "Also train a small classifier on G's latent code, detached "
      "(the authors' later code); adds the score 'head'.")
  encoder_head_pool: str = option(
      'average', "How the encoder head reads G's latent grid: average "
      '(global pooling, position-blind) or flatten (every position).',
      choices=HEAD_POOLS)

  def validate(self):
    check_choice('model', self.kind, MODEL_KINDS)
    if self.encoder_head and self.kind != 'gan':
      raise ConfigError(
          f'--encoder_head needs --model=gan (got {self.kind!r}): the head '
          "sits on the GAN generator's latent code.")
    check_choice('encoder_head_pool', self.encoder_head_pool, HEAD_POOLS)
    if self.encoder_head_pool != 'average' and not self.encoder_head:
      raise ConfigError('--encoder_head_pool only applies with '
                        '--encoder_head.')
    check_choice('init', self.init, INITS)
    check_choice('norm', self.norm, NORMALIZATIONS)
    if self.base_channels < 1 or self.disc_final_channels < 1:
      raise ConfigError('base_channels and disc_final_channels must be >= 1.')


@dataclasses.dataclass
class TrainConfig:
  """Optimisation schedule (paper Table 3 defaults) and run mechanics.

  Attributes:
    epochs: passes over the balanced training set (normal + anomaly).
    min_steps: a step budget (our addition): when epochs x steps per epoch
      falls short of it, epochs and lr_decay_epochs are both multiplied by
      the smallest whole factor that reaches it, so a small training set
      gets as many updates as a large one with the same schedule shape.
      0 (default) trains exactly `epochs`. Checkpoint and snapshot
      intervals, and snapshot numbers, count the stretched epochs.
    max_steps: a step cap (our addition): when epochs x steps per epoch
      exceeds it, epochs are cut to the most that fit and lr_decay_epochs
      in proportion (see `schedule`); 0 (default) is no cap.
      experiments.train_folder sets 20,000 by default, so a large folder
      does not train for hours.
    batch_size: images per step; every step is all-normal or all-anomaly.
    learning_rate: initial Adam learning rate for all three networks.
    lr_decay_epochs: the learning rate is multiplied by lr_decay_factor
      every this many epochs.
    adam_beta1, adam_beta2, adam_epsilon: not given by the paper; the
      defaults are TF 1.x `tf.train.AdamOptimizer`'s (the paper used TF 1.14).
    patch_size, patch_stride, top_patches: the patch loss (Eq. 3).
    group_schedule: how each step picks its loss group. 'random' draws the
      normal group with probability normal_group_prob; 'proportional' uses
      the share of normal images in the training set.
    normal_group_prob: see group_schedule.
    augment: 'paper' picks the dataset's augmentation from Sec. 4.2;
      'none' disables it; or name one explicitly.
    generator_optimizers: the paper does not say whether G's two loss
      groups share one Adam. 'shared' (default): one Adam, one set of
      moments for both groups. 'per_group': one Adam per group, as a TF1
      graph with two `minimize` ops on two optimizers would keep.
    latent_target: the latent loss |G_E(x) - G_E(G(x))|. 'joint' (default):
      the gradient flows through both sides. 'stop_gradient': G_E(x) is a
      fixed target and only the G_E(G(x)) side is trained.
    disc_steps: discriminator updates per generator update. Values > 1 add
      D-only updates on the step's batch before the joint update (paper: 1).
    disc_loss: 'lsgan' (default; the paper's Eq. 1, 5-7) or 'bce': sigmoid
      outputs with binary cross-entropy, D's loss halved, as the authors'
      later code trains both discriminators.
    detach_patch_loss: the patch loss is computed and reported but carries
      no gradient, as in the authors' later code (which fits Table 6, where
      adding the patch loss leaves the plain auto-encoder's AUROC).
    abc_reduction: 'image' (default): the ABC loss of each image's L1,
      averaged over the batch. 'batch': the ABC loss of the batch's mean
      L1, as the authors' later code computes it. Equal at batch size 1.
    head_batches: what the encoder head (model.encoder_head) trains on
      each step. 'group' (default, the authors'): the step's batch, all of
      one group, so every batch has one label. 'mixed' (ours): that batch
      and as many images of the other group drawn at random, labelled
      each; G's batches and updates are the same either way.
    seed: seeds weights, sampling, augmentation and group draws.
    jit_compile: compile the training step with XLA.
    steps_per_execution: training steps run inside one compiled call;
      larger values remove Python overhead per step.
    checkpoint_every_epochs: how often a checkpoint is written (and always
      at the end).
    snapshot_every_epochs: keep G's weights every this many epochs as
      `snapshots/epoch_NNNN.npz` in the run folder (checkpoints keep only
      the newest three), for AUROC-vs-epoch curves; 0 keeps none.
    log_every_secs: seconds between progress log lines.
    deterministic_ops: turn on TensorFlow op determinism so equal seeds give
      bit-identical runs on the same machine (slightly slower).
  """
  epochs: int = option(300, 'Training epochs (paper: 300).')
  min_steps: int = option(
      0, 'Step budget: multiply --epochs and --lr_decay_epochs by the '
      'smallest whole factor that trains at least this many steps (0: off).')
  max_steps: int = option(
      0, 'Step cap: train at most this many steps, cutting --epochs (and '
      '--lr_decay_epochs in proportion) on large training sets (0: off).')
  batch_size: int = option(1, 'Images per step (paper: 1).')
  learning_rate: float = option(1e-4,
                                'Initial Adam learning rate (paper: 1e-4).')
  lr_decay_epochs: int = option(
      50, 'Multiply the learning rate by --lr_decay_factor every this many '
      'epochs (paper: 50).')
  lr_decay_factor: float = option(0.5,
                                  'Learning-rate decay factor (paper: 0.5).')
  adam_beta1: float = option(0.9, 'Adam beta1 (paper: not given; TF1 '
                             'default).')
  adam_beta2: float = option(0.999, 'Adam beta2 (paper: not given; TF1 '
                             'default).')
  adam_epsilon: float = option(1e-8, 'Adam epsilon (TF1 default 1e-8).')
  patch_size: int = option(16, 'Patch-loss patch size (paper: 16).')
  patch_stride: int = option(8, 'Patch-loss stride (paper: 8).')
  top_patches: int = option(
      3, 'Patch loss averages the n worst patches (paper: 3).')
  group_schedule: str = option('random',
                               'How each step picks its loss group.',
                               choices=GROUP_SCHEDULES)
  normal_group_prob: float = option(
      0.5, 'P(normal loss group) with --group_schedule=random.')
  augment: str = option(
      'paper', "paper = the dataset's Sec. 4.2 augmentation; authors = "
      "horizontal flips with p = 0.8 (the authors' later code).",
      choices=AUGMENTATIONS)
  generator_optimizers: str = option(
      'shared', 'shared: one Adam for G in both loss groups; per_group: one '
      'per group (paper: not said).', choices=GENERATOR_OPTIMIZERS)
  latent_target: str = option(
      'joint', 'joint: the latent loss trains both G_E(x) and G_E(G(x)); '
      'stop_gradient: G_E(x) is a fixed target.', choices=LATENT_TARGETS)
  disc_steps: int = option(
      1, 'Discriminator updates per generator update (paper: 1).')
  disc_loss: str = option(
      'lsgan', "lsgan (paper, Eq. 1) or bce (sigmoid + cross-entropy, D loss "
      "halved: the authors' later code).", choices=DISC_LOSSES)
  detach_patch_loss: bool = option(
      False, "The patch loss carries no gradient (the authors' later code; "
      'fits Table 6).')
  abc_reduction: str = option(
      'image', "image: ABC of each image's L1, averaged (ours); batch: ABC "
      "of the batch's mean L1 (the authors').", choices=ABC_REDUCTIONS)
  head_batches: str = option(
      'group', "The encoder head's batches: group (the step's one-group "
      "batch, the authors') or mixed (plus as many of the other group).",
      choices=HEAD_BATCHES)
  seed: int = option(0, 'Seed of weights, batches, augmentation and group '
                     'draws.')
  jit_compile: bool = option(False, 'Compile the training loop with XLA.')
  steps_per_execution: int = option(64, 'Training steps per compiled call.')
  checkpoint_every_epochs: int = option(1, 'Checkpoint interval in epochs.')
  snapshot_every_epochs: int = option(
      0, "Keep G's weights every this many epochs "
      '(snapshots/epoch_NNNN.npz) for AUROC-vs-epoch curves; 0 keeps none.')
  log_every_secs: float = option(10.0, 'Seconds between progress lines.')
  deterministic_ops: bool = option(
      True, 'TensorFlow op determinism (bit-identical reruns).')

  def validate(self, image_size: Optional[int] = None):
    positive_ints = ('epochs', 'batch_size', 'lr_decay_epochs', 'patch_size',
                     'patch_stride', 'top_patches', 'steps_per_execution',
                     'checkpoint_every_epochs', 'disc_steps')
    for name in positive_ints:
      value = getattr(self, name)
      if not isinstance(value, int) or value < 1:
        raise ConfigError(f'{name}={value!r} must be a whole number >= 1 '
                          f'(flag --{name}).')
    if not isinstance(self.max_steps, int) or self.max_steps < 0:
      raise ConfigError(f'max_steps={self.max_steps!r} must be a whole number '
                        '>= 0 (0: no cap).')
    if self.max_steps and self.min_steps > self.max_steps:
      raise ConfigError(f'min_steps={self.min_steps} is above max_steps='
                        f'{self.max_steps}; lower --min_steps or raise '
                        '--max_steps.')
    if not isinstance(self.min_steps, int) or self.min_steps < 0:
      raise ConfigError(f'min_steps={self.min_steps!r} must be a whole number '
                        '>= 0 (0: no step budget).')
    if not isinstance(self.snapshot_every_epochs, int) or (
        self.snapshot_every_epochs < 0):
      raise ConfigError(f'snapshot_every_epochs={self.snapshot_every_epochs!r}'
                        ' must be a whole number >= 0 (0 keeps none).')
    if not self.learning_rate > 0:
      raise ConfigError(f'learning_rate={self.learning_rate} must be > 0.')
    if not 0 < self.lr_decay_factor <= 1:
      raise ConfigError(f'lr_decay_factor={self.lr_decay_factor} must be in '
                        '(0, 1].')
    if not (0 <= self.adam_beta1 < 1 and 0 <= self.adam_beta2 < 1):
      raise ConfigError('adam_beta1 and adam_beta2 must be in [0, 1).')
    if not self.adam_epsilon > 0:
      raise ConfigError('adam_epsilon must be > 0.')
    check_choice('group_schedule', self.group_schedule, GROUP_SCHEDULES)
    if not 0 <= self.normal_group_prob <= 1:
      raise ConfigError('normal_group_prob must be in [0, 1].')
    check_choice('generator_optimizers', self.generator_optimizers,
                 GENERATOR_OPTIMIZERS)
    check_choice('latent_target', self.latent_target, LATENT_TARGETS)
    check_choice('disc_loss', self.disc_loss, DISC_LOSSES)
    check_choice('abc_reduction', self.abc_reduction, ABC_REDUCTIONS)
    check_choice('head_batches', self.head_batches, HEAD_BATCHES)
    check_choice('augment', self.augment, AUGMENTATIONS)
    if image_size is not None:
      if self.patch_size > image_size:
        raise ConfigError(
            f'patch_size={self.patch_size} is larger than the {image_size}x'
            f'{image_size} model input; use --patch_size <= {image_size}.')
      num_patches = patches_per_side(image_size, self.patch_size,
                                     self.patch_stride) ** 2
      if self.top_patches > num_patches:
        raise ConfigError(
            f'top_patches={self.top_patches} exceeds the {num_patches} '
            f'patches of size {self.patch_size} and stride '
            f'{self.patch_stride} in a {image_size}x{image_size} image.')

  def epoch_scale(self, steps_per_epoch: int) -> int:
    """The factor on epochs (and lr_decay_epochs) that min_steps asks for."""
    planned = self.epochs * max(int(steps_per_epoch), 1)
    return max(1, -(-self.min_steps // planned))

  def schedule(self, steps_per_epoch: int) -> Tuple[int, int]:
    """(epochs, lr_decay_epochs) after the step budgets.

    min_steps stretches both by the smallest whole factor that reaches it;
    max_steps cuts epochs to the most that fit (at least 1) and
    lr_decay_epochs in proportion (at least 1), so the schedule keeps its
    shape.
    """
    steps_per_epoch = max(int(steps_per_epoch), 1)
    scale = self.epoch_scale(steps_per_epoch)
    epochs, decay = self.epochs * scale, self.lr_decay_epochs * scale
    if self.max_steps and epochs * steps_per_epoch > self.max_steps:
      cut = max(1, self.max_steps // steps_per_epoch)
      decay, epochs = max(1, round(decay * cut / epochs)), cut
    return epochs, decay


@dataclasses.dataclass
class EvalConfig:
  """How test images are scored.

  Attributes:
    score: 'l1' (paper: mean absolute reconstruction error), 'l2',
      'patch' (worst patch's mean absolute error), or with
      model.encoder_head 'head' (the head's logit; heat maps stay G's
      reconstruction error).
    batch_size: images per inference call.
  """
  score: str = option('l1', 'Anomaly score: l1 (paper), l2, patch, or '
                      'head (with --encoder_head).', choices=EVAL_SCORES)
  batch_size: int = option(500, 'Images per inference call.',
                           flag='eval_batch_size')

  def validate(self):
    check_choice('score', self.score, EVAL_SCORES)
    if self.batch_size < 1:
      raise ConfigError('eval batch_size must be >= 1.')


def check_choice(name: str, value, choices) -> None:
  """Refuses a value that is not one of a field's named choices."""
  if value not in choices:
    raise ConfigError(f'Unknown {name} {value!r}; choose one of '
                      f'{tuple(choices)}.')


def check_image_size(image_size: int) -> None:
  """The U-Net halves its input four times: a multiple of 16 is needed."""
  if (isinstance(image_size, bool) or not isinstance(image_size, int) or
      image_size < 16 or image_size % 16):
    raise ConfigError(f'image_size={image_size!r} must be a multiple of 16 '
                      '(the U-Net halves it four times), e.g. 32 or 128.')


def sampling_seed_option():
  """The sampling_seed field every data section has."""
  return option(0, 'Seed of k-means sampling and of the validation split.')


def check_sampling(kmeans_k: int, validation_fraction: float) -> None:
  """The k-means and validation-split fields every data section has."""
  if kmeans_k < 1:
    raise ConfigError(f'kmeans_k={kmeans_k} must be >= 1.')
  if not 0 <= validation_fraction < 1:
    raise ConfigError('validation_fraction must be in [0, 1).')


def patches_per_side(image_size: int, patch_size: int, stride: int) -> int:
  """Number of valid patch positions along one side."""
  return (image_size - patch_size) // stride + 1


def dataclass_from_dict(cls, values: Dict[str, Any]):
  """cls(**values), refusing names that are not fields of the dataclass."""
  names = {f.name for f in dataclasses.fields(cls)}
  unknown = set(values) - names
  if unknown:
    raise ConfigError(f'Unknown {cls.__name__} fields: {sorted(unknown)}.')
  return cls(**values)


@dataclasses.dataclass
class CoreConfig:
  """What training one model needs: networks, loss weights, schedule.

  Subclasses add sections (each a dataclass with `validate()`); to_dict,
  from_dict, replace and fingerprint work on any of them.
  """
  model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
  weights: LossWeights = dataclasses.field(default_factory=LossWeights)
  train: TrainConfig = dataclasses.field(default_factory=TrainConfig)

  def __post_init__(self):
    # The one place a model kind fixes loss weights, so that the saved
    # config says what was trained.
    if (isinstance(self.model, ModelConfig) and
        isinstance(self.weights, LossWeights) and
        self.model.kind == 'autoencoder'):
      self.weights = autoencoder_weights(self.weights)

  @property
  def needs_anomalies(self) -> bool:
    """Whether training needs anomaly images: the classifier learns
    normal against anomaly, the GAN when its anomaly group is on."""
    return self.model.kind == 'classifier' or self.weights.uses_anomaly_group

  def validate(self, image_size: Optional[int] = None):
    """Checks every section (a `data` section first); the patch settings
    against image_size, by default the data section's image_size."""
    data = getattr(self, 'data', None)
    if image_size is None and data is not None:
      image_size = data.image_size
    for name in sorted(self.sections(), key=lambda name: name != 'data'):
      section = getattr(self, name)
      if name == 'train':
        section.validate(image_size)
      else:
        section.validate()
    if self.model.encoder_head and not self.weights.uses_anomaly_group:
      raise ConfigError(
          '--encoder_head learns normal against anomaly, but the anomaly '
          'loss group is off (w_abc and w_anomaly_adv are 0), so it would '
          'never see an anomaly; turn one of them on or drop --encoder_head.')
    if self.train.head_batches != 'group' and not self.model.encoder_head:
      raise ConfigError('--head_batches only applies with --encoder_head.')
    scoring = getattr(self, 'eval', None)
    if (scoring is not None and scoring.score == HEAD_SCORE and
        not self.model.encoder_head):
      raise ConfigError('--score=head scores by the encoder head; train it '
                        'with --encoder_head, or choose l1, l2 or patch.')

  @classmethod
  def sections(cls) -> Dict[str, type]:
    """Section name -> its dataclass, in field order."""
    return {field.name: field.type for field in dataclasses.fields(cls)}

  def to_dict(self) -> Dict[str, Any]:
    return dataclasses.asdict(self)

  @classmethod
  def from_dict(cls, values: Dict[str, Any]):
    sections = cls.sections()
    unknown = set(values) - set(sections)
    if unknown:
      raise ConfigError(f'Unknown {cls.__name__} sections: {sorted(unknown)}'
                        f'; known: {sorted(sections)}.')
    return cls(**{name: dataclass_from_dict(kind, values.get(name, {}))
                  for name, kind in sections.items()})

  def to_json(self) -> str:
    return json.dumps(self.to_dict(), indent=2, sort_keys=True)

  def fingerprint_values(self) -> Dict[str, Any]:
    """What `fingerprint` hashes, before dropping non-result fields."""
    return self.to_dict()


def replace(config: CoreConfig, **sections) -> CoreConfig:
  """Returns a copy of `config` with fields of its sections replaced.

  Example: replace(cfg, train={'epochs': 5}, weights={'abc': 0.0}).
  """
  values = config.to_dict()
  for section, updates in sections.items():
    if section not in values:
      raise ConfigError(f'Unknown config section {section!r}.')
    values[section].update(updates)
  return type(config).from_dict(values)


# Fields that change how a run is carried out or logged, not its result;
# a run resumed with other values of these is the same run.
NON_RESULT_FIELDS = {
    'data': ('data_dir', 'tfds_data_dir'),
    'train': ('steps_per_execution', 'checkpoint_every_epochs',
              'snapshot_every_epochs', 'log_every_secs'),
    'eval': ('batch_size',),
}


# Fields added after runs were committed: left out of the fingerprint while
# at their default, so that those runs keep their identity and resume.
OMITTED_AT_DEFAULT = {
    'model': {'kind': 'gan', 'init': 'glorot', 'encoder_head': False,
              'encoder_head_pool': 'average'},
    'train': {'generator_optimizers': 'shared', 'latent_target': 'joint',
              'disc_steps': 1, 'min_steps': 0, 'max_steps': 0,
              'disc_loss': 'lsgan',
              'detach_patch_loss': False, 'abc_reduction': 'image',
              'head_batches': 'group'},
    'data': {'kmeans_quotas': 'proportional', 'train_per_class': None},
}


def without_encoder_head(config: CoreConfig) -> CoreConfig:
  """`config` with the encoder head off and every option that applies only
  to the head back at its default, so that the result validates: the
  head's pooling and batches, and scoring by the head (G's L1 instead)."""
  changes = {'model': {'encoder_head': False,
                       'encoder_head_pool': ModelConfig().encoder_head_pool},
             'train': {'head_batches': TrainConfig().head_batches}}
  if getattr(config, 'eval', None) and config.eval.score == HEAD_SCORE:
    changes['eval'] = {'score': 'l1'}
  return replace(config, **changes)


def score_kinds(model: ModelConfig,
                kinds: Sequence[str] = SCORES) -> Tuple[str, ...]:
  """The score kinds a trained model of this config offers: a classifier
  its logit; G the reconstruction `kinds`, and with --encoder_head the
  head's logit."""
  if model.kind == 'classifier':
    return (CLASSIFIER_SCORE,)
  return tuple(kinds) + ((HEAD_SCORE,) if model.encoder_head else ())


def fingerprint(config: CoreConfig) -> str:
  """A short hash of everything that determines a run's result.

  Stored with each result so that a rerun only reuses results made with an
  identical configuration.
  """
  values = config.fingerprint_values()
  for section, names in NON_RESULT_FIELDS.items():
    for name in names:
      values.get(section, {}).pop(name, None)
  for section, defaults in OMITTED_AT_DEFAULT.items():
    for name, default in defaults.items():
      if section in values and values[section].get(name, default) == default:
        values[section].pop(name, None)
  text = json.dumps(values, sort_keys=True, default=str)
  return hashlib.sha256(text.encode()).hexdigest()[:16]
