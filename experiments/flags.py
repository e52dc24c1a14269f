"""absl flags shared by the entry points, generated from the config classes.

Each field of an entry point's config (BenchmarkConfig for the benchmark
tools, InspectionConfig for train_folder) becomes one flag whose default is
the field's default, so the defaults are the paper's Table 2 and Table 3
values and there is one source of truth, and each tool shows only the flags
it reads. Loss weights are spelled --w_<loss>, the evaluation batch size
--eval_batch_size; every other flag has its field's name.
"""

import dataclasses
import typing
from typing import Dict, Tuple

from absl import flags

from ganad_tf.benchmark import config as benchmark_config
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.inspection.config import InspectionConfig

# (section, field) -> flag name, where the field's own name is not used.
_RENAMED = {('weights', name): f'w_{name}'
            for name in (f.name for f in dataclasses.fields(
                config_lib.LossWeights))}
_RENAMED[('eval', 'batch_size')] = 'eval_batch_size'
_RENAMED[('model', 'kind')] = 'model'

_CHOICES = {
    ('model', 'kind'): config_lib.MODEL_KINDS,
    ('model', 'norm'): config_lib.NORMALIZATIONS,
    ('train', 'group_schedule'): config_lib.GROUP_SCHEDULES,
    ('train', 'augment'): config_lib.AUGMENTATIONS,
    ('eval', 'score'): config_lib.SCORES,
    ('train', 'generator_optimizers'): config_lib.GENERATOR_OPTIMIZERS,
    ('train', 'latent_target'): config_lib.LATENT_TARGETS,
    ('train', 'disc_loss'): config_lib.DISC_LOSSES,
    ('train', 'abc_reduction'): config_lib.ABC_REDUCTIONS,
    ('model', 'init'): config_lib.INITS,
    ('data', 'kmeans_quotas'): benchmark_config.KMEANS_QUOTAS,
}

_HELP = {
    'dataset': 'mnist, fashion_mnist, cifar10, cifar100 or digits (embedded).',
    'data_dir': 'Folder with the canonical files (IDX .gz for (Fashion-)MNIST, '
                'cifar-10-batches-py / cifar-100-python or their .tar.gz). '
                'Unset: download with tfds.',
    'tfds_data_dir': 'tensorflow_datasets folder (default: tfds default).',
    'image_size': 'Model input size (multiple of 16).',
    'kmeans_k': 'k-means clusters per class for balanced sampling.',
    'anomaly_total': 'Anomaly training images in all (default: as many as '
                     'normal images).',
    'train_per_class': 'Keep only this many training images per class '
                       '(seeded; small-data studies). Unset: all.',
    'validation_fraction': 'Per-class share of training data held out for '
                           'validation (model selection never uses test).',
    'sampling_seed': 'Seed of k-means sampling and of the validation split.',
    'epochs': 'Training epochs (paper: 300).',
    'min_steps': 'Step budget: multiply --epochs and --lr_decay_epochs by the '
                 'smallest whole factor that trains at least this many steps '
                 '(0: off).',
    'batch_size': 'Images per step (paper: 1).',
    'learning_rate': 'Initial Adam learning rate (paper: 1e-4).',
    'lr_decay_epochs': 'Multiply the learning rate by --lr_decay_factor every '
                       'this many epochs (paper: 50).',
    'lr_decay_factor': 'Learning-rate decay factor (paper: 0.5).',
    'adam_beta1': 'Adam beta1 (paper: not given; TF1 default).',
    'adam_beta2': 'Adam beta2 (paper: not given; TF1 default).',
    'adam_epsilon': 'Adam epsilon (TF1 default 1e-8).',
    'patch_size': 'Patch-loss patch size (paper: 16).',
    'patch_stride': 'Patch-loss stride (paper: 8).',
    'top_patches': 'Patch loss averages the n worst patches (paper: 3).',
    'group_schedule': 'How each step picks its loss group.',
    'normal_group_prob': 'P(normal loss group) with --group_schedule=random.',
    'augment': 'paper = the dataset\'s Sec. 4.2 augmentation; authors = '
               'horizontal flips with p = 0.8 (the authors\' later code).',
    'seed': 'Seed of weights, batches, augmentation and group draws.',
    'generator_optimizers': 'shared: one Adam for G in both loss groups; '
                            'per_group: one per group (paper: not said).',
    'latent_target': 'joint: the latent loss trains both G_E(x) and '
                     'G_E(G(x)); stop_gradient: G_E(x) is a fixed target.',
    'disc_steps': 'Discriminator updates per generator update (paper: 1).',
    'disc_loss': 'lsgan (paper, Eq. 1) or bce (sigmoid + cross-entropy, D '
                 'loss halved: the authors\' later code).',
    'detach_patch_loss': 'The patch loss carries no gradient (the authors\' '
                         'later code; fits Table 6).',
    'abc_reduction': 'image: ABC of each image\'s L1, averaged (ours); '
                     'batch: ABC of the batch\'s mean L1 (the authors\').',
    'init': 'Kernel init: glorot (TF1/Keras default) or normal (N(0, 0.02), '
            'the authors\' later code).',
    'kmeans_quotas': 'proportional: k-means clusters give images by size '
                     '(Sec. 3.5); equal: the same number each (Sec. 3.2).',
    'jit_compile': 'Compile the training loop with XLA.',
    'steps_per_execution': 'Training steps per compiled call.',
    'checkpoint_every_epochs': 'Checkpoint interval in epochs.',
    'snapshot_every_epochs': 'Keep G\'s weights every this many epochs '
                             '(snapshots/epoch_NNNN.npz) for AUROC-vs-epoch '
                             'curves; 0 keeps none.',
    'log_every_secs': 'Seconds between progress lines.',
    'deterministic_ops': 'TensorFlow op determinism (bit-identical reruns).',
    'model': 'gan: the paper\'s method; classifier: a supervised CNN of G\'s '
             'size on the same labelled images (the baseline to beat); '
             'autoencoder: G with the L1 loss on normal images alone.',
    'base_channels': 'Width of the first conv layer (8 = paper counts).',
    'norm': 'Normalisation after inner convolutions.',
    'disc_final_channels': 'Channels of the last discriminator conv (32 = '
                           'paper count).',
    'score': 'Anomaly score: l1 (paper), l2 or patch.',
    'eval_batch_size': 'Images per inference call.',
}


# Where a field means something else for a folder of photos.
_INSPECTION_HELP = {
    'image_size': 'Model input size; each tile is resized to it (paper: '
                  '128; multiple of 16).',
    'kmeans_k': 'k-means clusters per defect kind for balanced sampling.',
    'validation_fraction': 'Share of each kind\'s images held out to '
                           'calibrate the threshold.',
    'sampling_seed': 'Seed of k-means sampling and of the validation split.',
}


def _help(config_class: type, section: str, field: str, name: str) -> str:
  if section == 'weights':
    return f'Weight of the {field} loss (paper Table 2); 0 turns it off.'
  if config_class is InspectionConfig and name in _INSPECTION_HELP:
    return _INSPECTION_HELP[name]
  return _HELP.get(name, f'{section}.{field}')


def _flag_names(config_class: type):
  """Yields (section, field, flag name, type, default)."""
  for section, cls in config_class.sections().items():
    for field in dataclasses.fields(cls):
      name = _RENAMED.get((section, field.name), field.name)
      default = (field.default if field.default is not dataclasses.MISSING
                 else field.default_factory())
      yield section, field.name, name, field.type, default


def define_config_flags(config_class: type = BenchmarkConfig,
                        flag_values: flags.FlagValues = flags.FLAGS,
                        **default_overrides):
  """Defines one flag per field of config_class; overrides change defaults."""
  for section, field, name, kind, default in _flag_names(config_class):
    default = default_overrides.get(name, default)
    helptext = _help(config_class, section, field, name)
    base = _base_type(kind)
    if (section, field) in _CHOICES:
      flags.DEFINE_enum(name, default, _CHOICES[(section, field)], helptext,
                        flag_values=flag_values)
    elif base is bool:
      flags.DEFINE_bool(name, default, helptext, flag_values=flag_values)
    elif base is int:
      flags.DEFINE_integer(name, default, helptext,
                           flag_values=flag_values)
    elif base is float:
      flags.DEFINE_float(name, default, helptext, flag_values=flag_values)
    else:
      flags.DEFINE_string(name, default, helptext,
                          flag_values=flag_values)


def _base_type(kind) -> type:
  """int for Optional[int], etc."""
  args = [a for a in typing.get_args(kind) if a is not type(None)]
  return args[0] if args else kind


def config_from_flags(flag_values: flags.FlagValues = flags.FLAGS,
                      config_class: type = BenchmarkConfig):
  """Builds and validates a config_class from parsed flags."""
  sections: Dict[str, Dict[str, object]] = {
      s: {} for s in config_class.sections()}
  for section, field, name, _, _ in _flag_names(config_class):
    sections[section][field] = flag_values[name].value
  config = config_class.from_dict(sections)
  config.validate()
  return config


def all_flag_names(config_class: type = BenchmarkConfig) -> Tuple[str, ...]:
  return tuple(name for _, _, name, _, _ in _flag_names(config_class))


def define_run_flags(flag_values: flags.FlagValues = flags.FLAGS,
                     output_help: str = 'Run folder.'):
  """--normal_classes, --output_dir, --threads and --jobs, shared by the
  benchmark-like tools (each a sweep of run folders)."""
  flags.DEFINE_list('normal_classes', None,
                    'Classes to use as normal, e.g. 0,3 (default: all).',
                    flag_values=flag_values)
  flags.DEFINE_string('output_dir', None, output_help,
                      flag_values=flag_values)
  flags.DEFINE_integer('threads', 0, 'TensorFlow threads of this process '
                       '(0: all cores). One thread trains faster per core at '
                       'small batches; --jobs sets cores/jobs per worker.',
                       flag_values=flag_values)
  flags.DEFINE_integer('jobs', 1, 'Worker processes, each with cores/jobs '
                       'threads, taking the unfinished (run, class) pairs '
                       'from one queue.', flag_values=flag_values)


def define_baseline_flag(flag_values: flags.FlagValues = flags.FLAGS):
  """--baseline, for the tools that report the classifier beside the
  model they train (sweep tables, train_folder)."""
  flags.DEFINE_bool('baseline', True, 'Also train the supervised classifier '
                    '(--model=classifier) on the same data with the same '
                    'schedule, as a reference.', flag_values=flag_values)


def normal_classes(flag_values: flags.FlagValues = flags.FLAGS):
  """The parsed --normal_classes as ints, or None for all."""
  values = flag_values['normal_classes'].value
  return [int(c) for c in values] if values else None


def start(argv, flag_values: flags.FlagValues = flags.FLAGS,
          config_class: type = BenchmarkConfig):
  """Common start of an entry point: no stray arguments, INFO progress
  logging, the validated config from the flags, and the process-wide
  TensorFlow settings it asks for (op determinism, threads)."""
  start_logging(argv)
  config = config_from_flags(flag_values, config_class)
  from ganad_tf.core import runtime
  threads = flag_values['threads'].value if 'threads' in flag_values else 0
  runtime.configure(deterministic_ops=config.train.deterministic_ops,
                    threads=threads or None)
  return config


def start_logging(argv) -> None:
  """Refuses stray arguments and sets what the run prints from absl's
  --verbosity: progress lines at the default 0 (warnings only below 0), and
  TensorFlow's own log lines only from 1 on (ganad_tf.logs)."""
  import logging
  from absl import app
  from absl.logging import converter
  from ganad_tf import logs
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  # absl raises its default -1 to 0 when it parses the flags.
  verbosity = flags.FLAGS['verbosity'].value if flags.FLAGS.is_parsed() else 0
  # Our DEBUG lines stay off at -v 1, which is for TensorFlow's lines.
  logging.getLogger('ganad_tf').setLevel(
      converter.absl_to_standard(min(verbosity, 0)))
  logs.configure(verbosity)


def run(main):
  """app.run(main), with our errors printed as one clear line (exit 1)
  instead of a traceback: they already say what is wrong and what to do."""
  import sys
  from absl import app
  from ganad_tf.errors import GanadError

  def guarded(argv):
    try:
      return main(argv)
    except GanadError as error:
      print(f'Error: {error}', file=sys.stderr)
      sys.exit(1)

  app.run(guarded)
