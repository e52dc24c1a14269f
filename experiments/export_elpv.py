r"""Exports the public ELPV solar-cell images as an inspection folder.

  pip install 'ganad_tf[elpv]'
  python -m experiments.export_elpv --output_dir=data/elpv

Writes train/{normal,defective}/, test/{normal,defective}/ (a seeded split
stratified by label and cell type), uncertain/{p033,p067}/ and
manifest.json; see ganad_tf.data.elpv.
"""

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.data import elpv

flags.DEFINE_string('output_dir', None, 'Folder to create.')
flags.DEFINE_float('test_fraction', 0.25, 'Share of each (label, cell type) '
                   'group held out as the test split.')
flags.DEFINE_integer('seed', 0, 'Seed of the split.')
flags.DEFINE_string('elpv_dir', None, 'Folder with ELPV\'s labels.csv and '
                    'images/ (default: the installed elpv-dataset package).')
flags.DEFINE_bool('overwrite', False, 'Replace an existing export.')
flags.mark_flag_as_required('output_dir')
FLAGS = flags.FLAGS


def main(argv):
  experiment_flags.start_logging(argv)
  import os  # pylint: disable=import-outside-toplevel
  manifest = elpv.export_elpv(
      FLAGS.output_dir, FLAGS.test_fraction, FLAGS.seed,
      labels_csv=(os.path.join(FLAGS.elpv_dir, 'labels.csv')
                  if FLAGS.elpv_dir else None),
      overwrite=FLAGS.overwrite)
  for split, labels in manifest['counts'].items():
    print(f'{split}: ' + ', '.join(f'{label} {count}'
                                   for label, count in sorted(labels.items())))


if __name__ == '__main__':
  experiment_flags.run(main)
