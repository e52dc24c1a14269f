r"""Reproduces the paper's benchmark tables (AUROC per normal class).

Defaults are the paper's Table 2 weights and Table 3 schedule (300 epochs at
batch size 1). For a CPU, use the preset flag file:

  python -m experiments.benchmark --dataset=fashion_mnist \
      --data_dir=/usr/share/datasets/fashion-mnist \
      --flagfile=experiments/presets/cpu.cfg

Rerunning the same command resumes: finished classes are skipped and
unfinished ones continue from their newest checkpoint.
"""

import os

from absl import app
from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.benchmark import report
from ganad_tf.benchmark import runner
from ganad_tf.benchmark.class_runner import TrainerCache
from ganad_tf.command import command_line
from ganad_tf.core import distribute

experiment_flags.define_config_flags()
experiment_flags.define_run_flags(
    output_help='Run folder (default: runs/<dataset>).')
flags.DEFINE_enum('strategy', 'none', distribute.STRATEGIES,
                  'tf.distribute strategy for the training step: mirrored '
                  '(local devices) or multi_worker (TF_CONFIG).')
flags.DEFINE_bool('overwrite', False, 'Rerun every class if --output_dir '
                  'holds results made with another configuration.')
# Our flags (not TensorFlow's or absl's) in --help.
flags.adopt_module_key_flags(experiment_flags)
FLAGS = flags.FLAGS


def main(argv):
  config = experiment_flags.start(argv)
  output_dir = FLAGS.output_dir or os.path.join('runs', config.data.dataset)
  if FLAGS.strategy != 'none' and FLAGS.jobs > 1:
    raise app.UsageError('--jobs > 1 runs classes in separate processes; it '
                         'cannot be combined with --strategy.')
  cache = TrainerCache(distribute.make_strategy(FLAGS.strategy))
  results = runner.run_benchmark(
      config, output_dir, normal_classes=experiment_flags.normal_classes(),
      jobs=FLAGS.jobs, command=command_line(), overwrite=FLAGS.overwrite,
      cache=cache)
  if results:
    print(report.format_table(results))
    print(f'Wrote {os.path.join(output_dir, "results.json")}')


if __name__ == '__main__':
  experiment_flags.run(main)
