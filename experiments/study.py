r"""A study of settings on validation data (issue 10), e.g. the weak classes:

  python -m experiments.study --flagfile=experiments/presets/cpu.cfg \
      --dataset=fashion_mnist --data_dir=/usr/share/datasets/fashion-mnist \
      --normal_classes=2,4,6 --validation_fraction=0.1 --jobs=2 \
      --settings=base,per_group_adam,latent_stop_gradient \
      --output_dir=runs/study_fashion_mnist

Each setting (see ganad_tf.benchmark.study.SETTINGS) is a resumable run in
its own folder; the table ranks nothing by test numbers.
"""

import os

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.benchmark import study
from ganad_tf.command import command_line

experiment_flags.define_config_flags(validation_fraction=0.1)
experiment_flags.define_run_flags(
    output_help='Study folder (default: runs/study_<dataset>).')
flags.DEFINE_list('settings', list(study.SETTINGS),
                  f'Settings to run, in order: {", ".join(study.SETTINGS)}; '
                  'join names with + to combine them (epochs_x2+lr_3e-4).')
# Our flags (not TensorFlow's or absl's) in --help.
flags.adopt_module_key_flags(experiment_flags)
FLAGS = flags.FLAGS


def main(argv):
  config = experiment_flags.start(argv)
  output_dir = FLAGS.output_dir or os.path.join(
      'runs', f'study_{config.data.dataset}')
  results = study.run_study(
      config, FLAGS.settings, output_dir,
      normal_classes=experiment_flags.normal_classes(),
      command=command_line(), jobs=FLAGS.jobs)
  print(study.format_table(results))


if __name__ == '__main__':
  experiment_flags.run(main)
