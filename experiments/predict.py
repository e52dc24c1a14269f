r"""Scores photos with a trained detector; writes a CSV and heat-map overlays.

Example:

  python -m experiments.predict --model=models/cases \
      --images='/data/new_photos/*.png' --output_dir=predictions/today

Writes predictions.csv (file, score, decision: defect or ok) and
overlays/<file>.png (the photo with its heat map, the hottest tile boxed and
the score and threshold noted). Unreadable or wrongly sized images are
reported and skipped. With --evaluate and a folder laid out like the
training data (normal/, <kind>/, optional masks/), also writes
evaluation.json: AUROC, precision / recall / F1 at the threshold and, where
masks exist, whether the heat sits on the defects.
"""

import os

from absl import flags

from experiments import flags as experiment_flags
from ganad_tf.inspection import workflow
from ganad_tf.inspection.detector import Detector
from ganad_tf.data import image_files
from ganad_tf import io_utils

flags.DEFINE_string('model', None, 'Model folder written by '
                    'experiments.train_folder (or Detector.save).')
flags.DEFINE_string('images', None, 'An image, a folder (searched '
                    'recursively, masks/ skipped) or a quoted glob.')
flags.DEFINE_string('output_dir', None, 'Where to write the results.')
flags.DEFINE_bool('overlays', True, 'Write an overlay PNG per image.')
flags.DEFINE_integer('overlay_max_width', 1024,
                     'Overlays are downscaled to at most this width.')
flags.DEFINE_bool('evaluate', False,
                  'Treat --images as a labelled data folder and write '
                  'evaluation.json with image- and pixel-level metrics.')
flags.mark_flags_as_required(['model', 'images', 'output_dir'])
FLAGS = flags.FLAGS


def main(argv):
  experiment_flags.start_logging(argv)
  detector = Detector.load(FLAGS.model)
  result = None
  if FLAGS.evaluate:
    # One pass: each image is scored once for the CSV, overlays and metrics.
    summary, result = workflow.predict_and_evaluate(
        detector, FLAGS.images, FLAGS.output_dir, overlays=FLAGS.overlays,
        overlay_max_width=FLAGS.overlay_max_width)
  else:
    paths = image_files.find_images(FLAGS.images)
    root = FLAGS.images if os.path.isdir(FLAGS.images) else None
    summary = workflow.predict_files(
        detector, paths, FLAGS.output_dir, root=root, overlays=FLAGS.overlays,
        overlay_max_width=FLAGS.overlay_max_width)
  print(f'Scored {summary["scored"]} image(s): {summary["flagged"]} flagged '
        f'as defect (score >= threshold {summary["threshold"]:.6g}).')
  for row in sorted(summary['rows'], key=lambda r: -r['score'])[:5]:
    print(f'  {row["score"]:.6g}  {"DEFECT" if row["decision"] else "ok":6s} '
          f'{row["file"]}')
  if summary['skipped']:
    print(f'Skipped {len(summary["skipped"])} file(s):')
    for item in summary['skipped']:
      print(f'  {item["path"]}: {item["reason"]}')
  print(f'Wrote {summary["predictions"]}' + (
      f' and overlays in {summary["overlays"]}' if summary['overlays'] else
      ''))
  if result is not None:
    path = os.path.join(FLAGS.output_dir, workflow.EVALUATION_FILE)
    io_utils.write_json(path, result)
    auroc = 'n/a' if result['auroc'] is None else f'{result["auroc"]:.2f}'
    print(f'Evaluation: AUROC {auroc}, precision {result["precision"]:.3f}, '
          f'recall {result["recall"]:.3f}, F1 {result["f1"]:.3f}; wrote '
          f'{path}')
    if len(result['per_kind']) > 1:
      for kind, entry in result['per_kind'].items():
        kind_auroc = ('n/a' if entry['auroc'] is None else
                      f'{entry["auroc"]:.2f}')
        print(f'  {kind}: {entry["count"]} images, AUROC against normal '
              f'{kind_auroc}, recall {entry["recall"]:.3f}')
    if result.get('pixel'):
      pixel = result['pixel']
      on = 100 * pixel['hottest_pixel_on_defect']
      near = 100 * pixel['hottest_pixel_near_defect']
      print(f'Heat maps: pixel AUROC {pixel["auroc_sampled"]:.2f}; hottest '
            f'pixel on the defect in {on:.0f}% of defect images, within '
            f'{pixel["near_tolerance_px"]} px in {near:.0f}%.')


if __name__ == '__main__':
  experiment_flags.run(main)
