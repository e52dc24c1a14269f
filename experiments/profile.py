r"""Where a training step's time goes, by TensorFlow op type.

  python -m experiments.profile --flagfile=experiments/presets/cpu.cfg \
      --shape=32x32x1 --threads=1 --output=results/speed/profile_batch16.md

Profiles one epoch of Trainer.fit on two random groups of --group_size
images (after a first fit that traces) with the TensorFlow profiler, and
prints self time per op type per step. The raw profile stays in --profile_dir
for TensorBoard.
"""

import os

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf import io_utils

experiment_flags.define_config_flags()
flags.DEFINE_string('shape', '32x32x1', 'Input shape HxWxC.')
flags.DEFINE_integer('group_size', 1000, 'Images per group.')
flags.DEFINE_integer('threads', 1, 'TensorFlow threads.')
flags.DEFINE_string('profile_dir', '/tmp/ganad_profile', 'Profiler output.')
flags.DEFINE_integer('top', 12, 'Op types listed.')
flags.DEFINE_string('output', None, 'Also write the table to this file.')
# Our flags (not TensorFlow's or absl's) in --help.
flags.adopt_module_key_flags(experiment_flags)
FLAGS = flags.FLAGS


def main(argv):
  experiment_flags.start_logging(argv)
  config = experiment_flags.config_from_flags(FLAGS)
  from ganad_tf.benchmark import profiling
  from ganad_tf.core import runtime
  runtime.configure(config.train.deterministic_ops, FLAGS.threads)
  shape = tuple(int(v) for v in FLAGS.shape.split('x'))
  report = profiling.profile_training(shape, FLAGS.group_size, FLAGS.profile_dir,
                                      config)
  text = (f'{FLAGS.shape}, batch {config.train.batch_size}, '
          f'{FLAGS.threads} thread(s), augmentation {config.train.augment}: '
          f'{report["steps"]} steps profiled, '
          f'{report["steps_per_second_while_profiled"]:.1f} steps/s while '
          'profiling (the profiler slows steps down; shares are what count)'
          '\n\n' + profiling.format_breakdown(report['op_types'], FLAGS.top))
  print(text)
  if FLAGS.output:
    io_utils.write_text(FLAGS.output, text)
    print(f'Wrote {os.path.relpath(FLAGS.output)}')


if __name__ == '__main__':
  experiment_flags.run(main)
