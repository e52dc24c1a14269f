"""absl flags shared by the entry points, generated from the config classes.

Each field of an entry point's config (BenchmarkConfig for the benchmark
tools, InspectionConfig and DetectorSettings for train_folder) becomes one
flag whose default, help text and choices are the field's own
(`ganad_tf.core.config.option`), so the defaults are the paper's Table 2
and Table 3 values, written once, and each tool shows only the flags it
reads. Loss weights are spelled --w_<loss>, the model kind --model, the
evaluation batch size --eval_batch_size; every other flag has its field's
name.
"""

import dataclasses
import typing
from typing import Dict, Tuple

from absl import flags

from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.data import sizes

def _flag_names(config_class: type):
  """Yields (section, field, flag name, type, default, metadata)."""
  for section, cls in config_class.sections().items():
    for field in dataclasses.fields(cls):
      default = (field.default if field.default is not dataclasses.MISSING
                 else field.default_factory())
      yield (section, field.name, field.metadata.get('flag', field.name),
             field.type, default, field.metadata)


def define_config_flags(config_class: type = BenchmarkConfig,
                        flag_values: flags.FlagValues = flags.FLAGS,
                        **default_overrides):
  """Defines one flag per field of config_class; overrides change defaults.

  Each field's help, choices and flag name come from its metadata
  (`ganad_tf.core.config.option`).
  """
  for _, field, name, kind, default, metadata in _flag_names(config_class):
    _define(name, kind, default_overrides.get(name, default), metadata,
            f'{field}', flag_values)


def define_dataclass_flags(cls: type,
                           flag_values: flags.FlagValues = flags.FLAGS):
  """One flag per field of a flat dataclass of `option` fields (e.g. the
  detector's settings), named as the field."""
  for field in dataclasses.fields(cls):
    default = field.default
    if isinstance(default, tuple):  # sizes: the flag takes WIDTHxHEIGHT
      default = sizes.format_size(default)
    _define(field.name, field.type, default, field.metadata, field.name,
            flag_values)


def dataclass_from_flags(cls: type,
                         flag_values: flags.FlagValues = flags.FLAGS):
  """cls(**its fields' parsed flags)."""
  return cls(**{field.name: flag_values[field.name].value
                for field in dataclasses.fields(cls)})


def _define(name: str, kind, default, metadata, fallback_help: str,
            flag_values: flags.FlagValues):
  helptext = metadata.get('help', fallback_help)
  base = _base_type(kind)
  if 'choices' in metadata:
    flags.DEFINE_enum(name, None if default is None else str(default),
                      [str(c) for c in metadata['choices']], helptext,
                      flag_values=flag_values)
  elif base is bool:
    flags.DEFINE_bool(name, default, helptext, flag_values=flag_values)
  elif base is int:
    flags.DEFINE_integer(name, default, helptext, flag_values=flag_values)
  elif base is float:
    flags.DEFINE_float(name, default, helptext, flag_values=flag_values)
  else:
    flags.DEFINE_string(name, default, helptext, flag_values=flag_values)


def _base_type(kind) -> type:
  """int for Optional[int], etc."""
  args = [a for a in typing.get_args(kind) if a is not type(None)]
  return args[0] if args else kind


def config_from_flags(flag_values: flags.FlagValues = flags.FLAGS,
                      config_class: type = BenchmarkConfig):
  """Builds and validates a config_class from parsed flags."""
  sections: Dict[str, Dict[str, object]] = {
      s: {} for s in config_class.sections()}
  for section, field, name, *_ in _flag_names(config_class):
    sections[section][field] = flag_values[name].value
  config = config_class.from_dict(sections)
  config.validate()
  return config


def all_flag_names(config_class: type = BenchmarkConfig) -> Tuple[str, ...]:
  return tuple(name for _, _, name, *_ in _flag_names(config_class))


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
