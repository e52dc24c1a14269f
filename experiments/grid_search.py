r"""The loss-weight grid search of paper Sec. 3.4, ranked by validation AUROC.

  python -m experiments.grid_search --dataset=fashion_mnist \
      --data_dir=/usr/share/datasets/fashion-mnist --normal_classes=0 \
      --flagfile=experiments/presets/cpu.cfg --validation_fraction=0.1 \
      --max_points=20 --output_dir=results/grid_search

Prints the grid size, runs the chosen points (the Table 2 point first, then
a seeded random order; or --points), and resumes where it stopped.
"""

import os

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.benchmark import grid_search
from ganad_tf.command import command_line

experiment_flags.define_config_flags(validation_fraction=0.1)
experiment_flags.define_run_flags(
    output_help='Grid folder (default: runs/grid_<dataset>).')
flags.DEFINE_integer('max_points', None, 'Run this many points (default: '
                     'all 315).')
flags.DEFINE_list('points', None, 'Explicit grid indices to run.')
flags.DEFINE_integer('subset_seed', 0, 'Seed of the order of points.')
flags.DEFINE_bool('count_only', False, 'Print the grid size and exit.')
experiment_flags.define_baseline_flag()
# Our flags (not TensorFlow's or absl's) in --help.
flags.adopt_module_key_flags(experiment_flags)
FLAGS = flags.FLAGS


def main(argv):
  config = experiment_flags.start(argv)
  strict, loose = grid_search.grid_counts()
  print(f'Grid size: {strict} combinations with normal sum > 2 x anomaly sum '
        f'({loose} with >=; the paper says 314).')
  if FLAGS.count_only:
    return
  output_dir = FLAGS.output_dir or os.path.join(
      'runs', f'grid_{config.data.dataset}')
  results = grid_search.run_grid_search(
      config, output_dir, normal_classes=experiment_flags.normal_classes(),
      max_points=FLAGS.max_points,
      indices=[int(p) for p in FLAGS.points] if FLAGS.points else None,
      subset_seed=FLAGS.subset_seed, command=command_line(),
      jobs=FLAGS.jobs, baseline=FLAGS.baseline)
  print(grid_search.format_table(results))


if __name__ == '__main__':
  experiment_flags.run(main)
