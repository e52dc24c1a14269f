r"""Writes the figures of a finished benchmark run into <run_dir>/figures.

  python -m experiments.figures --run_dir=results/fashion_mnist

* reconstructions_class_NN.png: original / reconstruction / error map rows
  for normal and anomaly test images (paper Fig. 3 and 4);
* roc_curves.png: one ROC curve per normal class, from the saved scores;
* speed_bubbles.png: the paper's Fig. 2 axes (AUROC vs images/s, area =
  parameters) with our measured point beside the points the paper gives.
  Pass --speed_json (the output of experiments.speed) to use a measured
  inference speed instead of the one the benchmark logged while scoring.
"""

import os

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.benchmark import figure_report

flags.DEFINE_string('run_dir', None, 'A benchmark output folder.')
flags.DEFINE_integer('examples', 8, 'Images per row in reconstruction plots.')
flags.DEFINE_list('classes', None, 'Classes to draw reconstructions for '
                  '(default: all finished classes).')
flags.DEFINE_string('speed_json', None, 'speed.json from experiments.speed.')
flags.mark_flag_as_required('run_dir')
# Our flags (not TensorFlow's or absl's) in --help.
flags.adopt_module_key_flags(experiment_flags)
FLAGS = flags.FLAGS


def main(argv):
  experiment_flags.start_logging(argv)
  classes = [int(c) for c in FLAGS.classes] if FLAGS.classes else None
  written = figure_report.write_run_figures(
      FLAGS.run_dir, examples=FLAGS.examples, classes=classes,
      speed_json=FLAGS.speed_json)
  for path in written:
    print(os.path.relpath(path))


if __name__ == '__main__':
  experiment_flags.run(main)
