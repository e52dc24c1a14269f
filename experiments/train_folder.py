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

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.inspection import settings as settings_lib
from ganad_tf.inspection import workflow
from ganad_tf.inspection.config import InspectionConfig
from ganad_tf.command import command_line

# train_folder's default step cap (--max_steps).
DEFAULT_MAX_STEPS = 20_000

# Balanced tile sets are small, so epochs are short: checkpoint less often.
# A step cap keeps the paper's 300 epochs from running for hours on a large
# folder (about 2 minutes for the synthetic set's 16,200 steps at 64x64).
experiment_flags.define_config_flags(InspectionConfig,
                                     checkpoint_every_epochs=10,
                                     max_steps=DEFAULT_MAX_STEPS)
flags.DEFINE_string('data_dir', None, 'Folder of photos: normal/, one '
                    'subfolder per defect kind, optionally masks/<kind>/.')
flags.DEFINE_string('output_dir', None, 'Model folder to write.')
experiment_flags.define_dataclass_flags(settings_lib.DetectorSettings)
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
  settings = experiment_flags.dataclass_from_flags(
      settings_lib.DetectorSettings)
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
  by_score = valid.get('auroc_by_score')
  if by_score:
    own = results['config']['eval']['score']
    print('Validation AUROC by score (--score): ' + ', '.join(
        f'{kind} {auroc:.2f}' + (' (this model)' if kind == own else '')
        for kind, auroc in by_score.items()) + '.')
  if results.get('baseline'):
    print(results['baseline']['advice'])
  print(f'Model: {results["model_dir"]}  SavedModel: {results["export_dir"]}')


if __name__ == '__main__':
  experiment_flags.run(main)
