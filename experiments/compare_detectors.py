r"""The paper's Table 4 for the detectors of one data set, from their files.

  python -m experiments.compare_detectors --runs_dir=results/elpv

--runs_dir holds one folder per trained detector (train_folder's
results.json, and predict --evaluate's evaluation.json copied beside it);
writes runs_dir/table.md and prints it. Nothing is retrained.
"""

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.inspection import comparison

flags.DEFINE_string('runs_dir', None, 'Folder with one detector folder per '
                    'model (gan, classifier, autoencoder).')
flags.DEFINE_string('table', None, 'Where to write the table (default: '
                    'runs_dir/table.md).')
flags.mark_flag_as_required('runs_dir')
FLAGS = flags.FLAGS


def main(argv):
  experiment_flags.start_logging(argv)
  print(comparison.compare_detectors(FLAGS.runs_dir, FLAGS.table), end='')


if __name__ == '__main__':
  experiment_flags.run(main)
