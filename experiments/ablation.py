r"""The loss ablation of paper Table 6, in the paper's layout.

  python -m experiments.ablation --dataset=fashion_mnist \
      --data_dir=/usr/share/datasets/fashion-mnist --normal_classes=0 \
      --flagfile=experiments/presets/cpu.cfg --output_dir=results/ablation

Each row is a resumable benchmark run in <output_dir>/row_N; the
supervised classifier baseline (--baseline, on by default) is one more, in
<output_dir>/classifier.
"""

import os

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.benchmark import ablation
from ganad_tf.command import command_line

experiment_flags.define_config_flags()
experiment_flags.define_run_flags(
    output_help='Ablation folder (default: runs/ablation_<dataset>).')
flags.DEFINE_enum('reading', 'single', sorted(ablation.READINGS),
                  'How to read the lost check marks of Table 6.')
flags.DEFINE_list('rows', None, 'Rows to run (default: all).')
experiment_flags.define_baseline_flag()
# Our flags (not TensorFlow's or absl's) in --help.
flags.adopt_module_key_flags(experiment_flags)
FLAGS = flags.FLAGS


def main(argv):
  config = experiment_flags.start(argv)
  output_dir = FLAGS.output_dir or os.path.join(
      'runs', f'ablation_{config.data.dataset}')
  results = ablation.run_ablation(
      config, output_dir, normal_classes=experiment_flags.normal_classes(),
      reading=FLAGS.reading,
      rows=[int(r) for r in FLAGS.rows] if FLAGS.rows else None,
      command=command_line(), jobs=FLAGS.jobs, baseline=FLAGS.baseline)
  print(ablation.format_table(results, config))


if __name__ == '__main__':
  experiment_flags.run(main)
