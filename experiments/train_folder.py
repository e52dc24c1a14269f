r"""Trains a defect detector on a folder of photos.

The folder holds normal/ and one subfolder per defect kind, optionally
masks/<kind>/<file> (see ganad_tf.data.folder_data). Large photos are cut into
tiles (--tile_size, the paper's 100x100 "patches"), each resized to the
--image_size model input.

Example (paper setting: 2192x1000 photos, 100x100 tiles, 128x128 input):

  python -m experiments.train_folder --data_dir=/data/cases \
      --output_dir=models/cases --tile_size=100 --epochs=100

Writes to --output_dir: generator.keras + detector.json (load with
ganad_tf.inspection.detector.Detector.load), saved_model/ (TensorFlow
SavedModel that serves without this package), results.json (validation
AUROC and precision / recall / F1 at the calibrated threshold) and runs/
(checkpoints; rerunning the same command resumes). Score new photos with
experiments.predict.

With defect images, the supervised classifier (--model=classifier) is also
trained on the same data as a reference (--nobaseline skips it), and the
end of the run says which separates the validation images better.

Normal images only: --model=autoencoder (or --w_abc=0 --w_anomaly_adv=0),
and pick the threshold with --target_fpr.
"""

import dataclasses

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.data import image_files
from ganad_tf.inspection import settings as settings_lib
from ganad_tf.inspection import tiles
from ganad_tf.inspection import workflow
from ganad_tf.inspection.config import InspectionConfig
from ganad_tf.command import command_line

_DEFAULTS = settings_lib.DetectorSettings()

# Balanced tile sets are small, so epochs are short: checkpoint less often.
experiment_flags.define_config_flags(InspectionConfig,
                                     checkpoint_every_epochs=10)
flags.DEFINE_string('data_dir', None, 'Folder of photos: normal/, one '
                    'subfolder per defect kind, optionally masks/<kind>/.')
flags.DEFINE_string('output_dir', None, 'Model folder to write.')
flags.DEFINE_string('tile_size', None,
                    'Tile size in image pixels, WIDTHxHEIGHT or one number '
                    '(paper: 100 or 548x500); unset = whole image.')
flags.DEFINE_string('tile_stride', None,
                    'Step between tiles, WIDTHxHEIGHT or one number '
                    '(default: the tile size; smaller overlaps tiles).')
flags.DEFINE_string('resize_to', None,
                    'Resize every photo to WIDTHxHEIGHT when reading (needed '
                    'if their sizes differ).')
flags.DEFINE_enum('resize_mode', _DEFAULTS.resize_mode,
                  list(image_files.RESIZE_MODES),
                  'How photos reach --resize_to: stretch (each axis on its '
                  'own) or pad (one scale factor, edges repeated: keeps the '
                  'aspect ratio).')
flags.DEFINE_enum('channels', 'auto', ['auto', '1', '3'],
                  'auto = 1 if every image is grayscale, else 3.')
flags.DEFINE_enum('anomaly_tiles', _DEFAULTS.anomaly_tiles,
                  list(settings_lib.ANOMALY_TILE_CHOICES),
                  'How defect tiles are chosen: mask (tiles on the defect '
                  'mask), max_error (highest-error tiles under a briefly '
                  'trained normal-only model), auto (mask if present).')
flags.DEFINE_integer('tiles_per_defect_image',
                     _DEFAULTS.tiles_per_defect_image,
                     'Tiles per defect image taken by max_error.')
flags.DEFINE_integer('selection_epochs', _DEFAULTS.selection_epochs,
                     'Epochs of the normal-only model used by max_error.')
flags.DEFINE_float('min_mask_share', _DEFAULTS.min_mask_share,
                   'A tile is a defect tile if it holds at least this share '
                   'of the mask pixels of the image\'s best-covered tile.')
flags.DEFINE_enum('defect_crops', _DEFAULTS.defect_crops,
                  list(settings_lib.DEFECT_CROP_CHOICES),
                  'Anomaly crops from masks: grid (the scoring grid\'s tiles '
                  'on the defect) or centred (tile-sized crops around each '
                  'defect, like the paper\'s hand-cropped patches).')
flags.DEFINE_float('normal_ratio', _DEFAULTS.normal_ratio,
                   'Normal training tiles per defect tile (paper: 1).')
flags.DEFINE_integer('max_normal_tiles', _DEFAULTS.max_normal_tiles,
                     'Cap on normal training tiles.')
flags.DEFINE_enum('stitch', _DEFAULTS.stitch, list(tiles.STITCH_MODES),
                  'How overlapping tiles combine in heat maps.')
flags.DEFINE_bool('center_tiles', _DEFAULTS.center_tiles,
                  'Subtract each tile\'s mean intensity before the model so '
                  'uneven lighting is not scored as a defect (our design; '
                  '--nocenter_tiles reproduces the paper).')
flags.DEFINE_float('target_fpr', None,
                   'Calibrate the threshold for at most this false-positive '
                   'rate on normal validation images (default: best F1).')
flags.DEFINE_bool('export', True, 'Also write the SavedModel.')
experiment_flags.define_baseline_flag()
flags.DEFINE_bool('overwrite', False,
                  'Delete checkpoints of another configuration in '
                  '--output_dir instead of stopping.')
flags.mark_flags_as_required(['data_dir', 'output_dir'])
# Our flags (not TensorFlow's or absl's) in --help.
flags.adopt_module_key_flags(experiment_flags)
FLAGS = flags.FLAGS


def settings_from_flags() -> settings_lib.DetectorSettings:
  names = [f.name for f in dataclasses.fields(settings_lib.DetectorSettings)]
  settings = settings_lib.DetectorSettings(
      **{name: FLAGS[name].value for name in names})
  settings.validate()
  return settings


def main(argv):
  config = experiment_flags.start(argv, config_class=InspectionConfig)
  results = workflow.train_folder(
      FLAGS.data_dir, FLAGS.output_dir, config, settings_from_flags(),
      export=FLAGS.export, overwrite=FLAGS.overwrite,
      command=command_line(), baseline=FLAGS.baseline)
  valid = results['validation']
  auroc = 'n/a' if valid['auroc'] is None else f'{valid["auroc"]:.2f}'
  print(f'Validation ({valid["num_normal"]} normal + {valid["num_defect"]} '
        f'defect images): AUROC {auroc}, precision {valid["precision"]:.3f}, '
        f'recall {valid["recall"]:.3f}, F1 {valid["f1"]:.3f} at threshold '
        f'{results["threshold"]:.6g} ({results["threshold_method"]}).')
  if results.get('baseline'):
    print(results['baseline']['advice'])
  print(f'Model: {results["model_dir"]}  SavedModel: {results["export_dir"]}')


if __name__ == '__main__':
  experiment_flags.run(main)
