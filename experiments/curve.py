r"""AUROC-vs-epoch curve of a benchmark run that kept generator snapshots.

  python -m experiments.curve --run_dir=runs/paper_schedule/fashion_mnist \
      --normal_classes=6

Scores each snapshot (`--snapshot_every_epochs` during training) on the test
split, for reporting only, and writes class_NN/curve.json and curve.md.
Points already scored are kept; rerun it while training goes on.
"""

import os

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.benchmark import curves
from ganad_tf import io_utils

flags.DEFINE_string('run_dir', None, 'A benchmark output folder.')
flags.DEFINE_list('normal_classes', None, 'Classes to score (default: every '
                  'class folder with snapshots).')
flags.mark_flag_as_required('run_dir')
# Our flags (not TensorFlow's or absl's) in --help.
flags.adopt_module_key_flags(experiment_flags)
FLAGS = flags.FLAGS


def main(argv):
  experiment_flags.start_logging(argv)
  classes = ([int(c) for c in FLAGS.normal_classes] if FLAGS.normal_classes
             else sorted(int(name.split('_')[1]) for name in
                         os.listdir(FLAGS.run_dir)
                         if name.startswith('class_') and os.path.isdir(
                             os.path.join(FLAGS.run_dir, name, 'snapshots'))))
  for normal_class in classes:
    curve = curves.snapshot_curve(FLAGS.run_dir, normal_class)
    table = curves.format_curve(curve)
    folder = os.path.join(FLAGS.run_dir, f'class_{normal_class:02d}')
    io_utils.write_text(os.path.join(folder, 'curve.md'), table)
    print(f'class {normal_class}:\n{table}')


if __name__ == '__main__':
  experiment_flags.run(main)
