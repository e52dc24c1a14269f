r"""Reproduces the paper's benchmark tables (AUROC per normal class).

Defaults are the paper's Table 2 weights and Table 3 schedule (300 epochs at
batch size 1). For a CPU, use the preset flag file:

  python -m experiments.benchmark --dataset=fashion_mnist \
      --data_dir=/usr/share/datasets/fashion-mnist \
      --flagfile=experiments/presets/cpu.cfg

Rerunning the same command resumes: finished classes are skipped and
unfinished ones continue from their newest checkpoint.
"""

import logging
import os

from absl import app
from absl import flags

from experiments import flags as experiment_flags
from ganad_tf import benchmark

experiment_flags.define_experiment_flags()
flags.DEFINE_list('normal_classes', None,
                  'Classes to use as normal, e.g. 0,3 (default: all).')
flags.DEFINE_string('output_dir', None,
                    'Run folder (default: runs/<dataset>).')
flags.DEFINE_integer('jobs', 1, 'Parallel worker processes, each running a '
                     'share of the classes with cores/jobs threads.')
flags.DEFINE_bool('overwrite', False, 'Rerun every class if --output_dir '
                  'holds results made with another configuration.')
FLAGS = flags.FLAGS


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  logging.getLogger('ganad_tf').setLevel(logging.INFO)
  config = experiment_flags.experiment_config(FLAGS)
  output_dir = FLAGS.output_dir or os.path.join('runs', config.data.dataset)
  classes = ([int(c) for c in FLAGS.normal_classes]
             if FLAGS.normal_classes else None)
  results = benchmark.run_benchmark(
      config, output_dir, normal_classes=classes, jobs=FLAGS.jobs,
      command=benchmark.command_line(), overwrite=FLAGS.overwrite)
  print(benchmark.format_table(results))
  print(f'Wrote {os.path.join(output_dir, "results.json")}')


if __name__ == '__main__':
  app.run(main)
