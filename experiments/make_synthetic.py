r"""Writes a synthetic brushed-metal inspection data set.

Example:
  python -m experiments.make_synthetic --output_dir=/data/synthetic_metal

Writes <output_dir>/{normal,scratch,stamped,stain}/*.png, the defect masks
under <output_dir>/masks/ and <output_dir>/manifest.json (see
ganad_tf.data.synthetic.writer.generate_dataset).
"""

from absl import flags

from experiments import flags as experiment_flags

from ganad_tf.data.synthetic.config import KINDS, SyntheticConfig
from ganad_tf.data.synthetic.writer import generate_dataset

FLAGS = flags.FLAGS
_DEFAULTS = SyntheticConfig()

flags.DEFINE_string('output_dir', None, 'Folder to write the data set into.')
flags.DEFINE_integer('width', _DEFAULTS.width, 'Image width in pixels.')
flags.DEFINE_integer('height', _DEFAULTS.height, 'Image height in pixels.')
flags.DEFINE_integer('channels', _DEFAULTS.channels, '1 (gray) or 3 (RGB).')
for _kind in KINDS:
  flags.DEFINE_integer(f'num_{_kind}', _DEFAULTS.counts[_kind],
                       f'Number of {_kind} images.')
flags.DEFINE_integer('seed', _DEFAULTS.seed, 'Random seed (>= 0).')
flags.DEFINE_integer('num_workers', 0,
                     'Rendering processes; 0 = one per CPU. Output does not '
                     'depend on it.')
flags.DEFINE_bool('overwrite', False,
                  'Replace a data set already in --output_dir.')
flags.mark_flag_as_required('output_dir')


def main(argv):
  experiment_flags.start_logging(argv)
  config = SyntheticConfig(
      width=FLAGS.width, height=FLAGS.height, channels=FLAGS.channels,
      counts={kind: getattr(FLAGS, f'num_{kind}') for kind in KINDS},
      seed=FLAGS.seed)
  manifest = generate_dataset(
      FLAGS.output_dir, config, overwrite=FLAGS.overwrite,
      num_workers=FLAGS.num_workers)
  defects = sum(len(record['defects']) for record in manifest['images'])
  counts = ', '.join(f'{kind}={n}' for kind, n in manifest['counts'].items())
  print(f'Wrote {len(manifest["images"])} images ({counts}; {defects} '
        f'defects) of {config.width}x{config.height}x{config.channels} to '
        f'{FLAGS.output_dir}')


if __name__ == '__main__':
  experiment_flags.run(main)
