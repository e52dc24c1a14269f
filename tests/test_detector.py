"""Detector end to end: training from folders, scoring, calibration,
save/load, export, the two experiments.

One tiny detector (256x128 synthetic photos, 64x64 tiles resized to 32x32,
one epoch) is trained once per module and shared by most tests. The rooms
the Detector glues together have their own tests (test_tiles.py,
test_tile_selection.py, test_inference.py, test_calibration.py,
test_evaluation.py, test_persistence.py, test_overlays.py,
test_workflow.py, test_settings.py).
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ganad_tf import io_utils
from ganad_tf.core import config as config_lib
from ganad_tf.core import metrics
from ganad_tf.data import folder_data
from ganad_tf.data.synthetic.config import SyntheticConfig
from ganad_tf.data.synthetic.writer import generate_dataset
from ganad_tf.errors import ConfigError, DatasetError, InputError
from ganad_tf.inspection import workflow
from ganad_tf.inspection.config import InspectionConfig
from ganad_tf.inspection.detector import Detector
from ganad_tf.inspection.settings import DetectorSettings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COUNTS = {'normal': 10, 'scratch': 3, 'stamped': 3, 'stain': 3}


def _config(**weights):
  return config_lib.replace(
      InspectionConfig(),
      data={'image_size': 32},
      train={'epochs': 1, 'batch_size': 8, 'learning_rate': 1e-3,
             'steps_per_execution': 16, 'log_every_secs': 1000},
      weights=weights)


@pytest.fixture(scope='module')
def cache():
  """Traced Trainers shared by this module's detectors (saves retracing)."""
  return {}


@pytest.fixture(scope='module')
def synth_dir(tmp_path_factory):
  folder = str(tmp_path_factory.mktemp('detector') / 'data')
  generate_dataset(folder, SyntheticConfig(
      width=256, height=128, counts=dict(COUNTS), seed=5))
  return folder


@pytest.fixture(scope='module')
def trained(synth_dir, cache, tmp_path_factory):
  """(model folder, train_folder results, data) from one tiny run."""
  model_dir = str(tmp_path_factory.mktemp('detector') / 'model')
  results = workflow.train_folder(
      synth_dir, model_dir, _config(),
      DetectorSettings(tile_size=64, tile_stride=(64, 48)),
      trainer_cache=cache)
  return model_dir, results, folder_data.load_folder(synth_dir)


@pytest.fixture(scope='module')
def detector(trained):
  return Detector.load(trained[0])


_SERVE_SCRIPT = textwrap.dedent('''
    import sys
    import numpy as np
    import tensorflow as tf
    model = tf.saved_model.load(sys.argv[1])
    images = np.load(sys.argv[2])
    out = model.signatures['serving_default'](images=tf.constant(images))
    assert not any(name.startswith('ganad_tf') for name in sys.modules)
    np.savez(sys.argv[3], **{k: v.numpy() for k, v in out.items()})
''')
_SERVED = [0, 1, 10, 14]  # indices of the images the SavedModel scores
_PREDICTED = slice(9, 12)  # the images the predict CLI scores


@pytest.fixture(scope='module')
def processes(trained, tmp_path_factory):
  """Starts the two fresh-process checks in the background.

  Each spends most of its time importing TensorFlow; running them while
  the in-process tests train saves most of that wall time.
  """
  model_dir, _, data = trained
  folder = tmp_path_factory.mktemp('processes')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3')
  np.save(folder / 'images.npy', data.images[_SERVED])
  (folder / 'serve.py').write_text(_SERVE_SCRIPT)
  # From tmp_path, so the repository is not importable.
  serve = subprocess.Popen(
      [sys.executable, str(folder / 'serve.py'),
       os.path.join(model_dir, 'saved_model'), str(folder / 'images.npy'),
       str(folder / 'out.npz')],
      cwd=str(folder), env=env, stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True)
  images = folder / 'new'
  images.mkdir()
  for name in data.files[_PREDICTED]:
    with open(os.path.join(data.root, name), 'rb') as source:
      (images / os.path.basename(name)).write_bytes(source.read())
  (images / 'broken.png').write_bytes(b'not a png')
  predict = subprocess.Popen(
      [sys.executable, '-m', 'experiments.predict', f'--model={model_dir}',
       f'--images={images}', f'--output_dir={folder / "out"}'],
      cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True)
  yield {'serve': serve, 'predict': predict, 'folder': folder}
  for process in (serve, predict):
    if process.poll() is None:
      process.kill()
      process.communicate()


def _finish(process):
  stdout, stderr = process.communicate(timeout=600)
  assert process.returncode == 0, stderr[-3000:]
  return stdout


@pytest.mark.slow
def test_train_folder_writes_model_export_and_results(trained, processes):
  del processes  # started here so they run beside the tests below
  model_dir, results, _ = trained
  for name in ('generator.keras', 'detector.json', 'results.json',
               'saved_model/saved_model.pb'):
    assert os.path.exists(os.path.join(model_dir, name)), name
  on_disk = io_utils.read_json(os.path.join(model_dir, 'results.json'))
  valid = on_disk['validation']
  assert valid['num_normal'] == 2 and valid['num_defect'] == 3
  for name in ('auroc', 'precision', 'recall', 'f1'):
    assert valid[name] is not None
  assert on_disk['threshold_method'] == 'best_f1'
  assert np.isfinite(on_disk['threshold'])
  # Balanced training set: equal tiles per defect kind (the rarest kind's
  # count), as many normal tiles in all, chosen from the masks.
  tiles = results['training']['tiles']
  per_kind = set(tiles['anomaly'].values())
  assert len(per_kind) == 1
  assert per_kind.pop() == min(tiles['anomaly_candidates'].values())
  assert tiles['normal'] == sum(tiles['anomaly'].values())
  assert tiles['method']['mask'] == 6 and tiles['method']['max_error'] == 0
  # Train AUROC: the same score on (a sample of) the training images.
  assert 0 <= results['training']['train_auroc'] <= 100
  # The classifier trained beside it on the same data, as a reference.
  reference = on_disk['baseline']
  assert reference['model'] == 'classifier'
  assert 0 <= reference['validation_auroc'] <= 100
  assert reference['classifier_is_better'] == (
      reference['validation_auroc'] > valid['auroc'] +
      workflow.BASELINE_MARGIN)
  assert f'{reference["validation_auroc"]:.2f}' in reference['advice']


@pytest.mark.slow
def test_predict_and_error_map_shapes(detector, trained):
  images = trained[2].images[:4]
  result = detector.predict(images, with_maps=True)
  assert result.scores.shape == (4,) and result.decisions.dtype == bool
  np.testing.assert_array_equal(result.decisions,
                                result.scores >= detector.threshold)
  assert result.error_maps.shape == (4, 128, 256)
  np.testing.assert_allclose(detector.error_map(images), result.error_maps,
                             rtol=1e-6)
  assert detector.score(images[:0]).shape == (0,)
  # Gray batches may omit the channel axis; float pixel values are fine.
  np.testing.assert_allclose(detector.score(images[..., 0].astype(float)),
                             result.scores, rtol=1e-6)


def test_checks_need_a_model_and_use_its_shape(detector, trained):
  # The rules themselves: test_inference.py (checks.check_photo_batch).
  images = trained[2].images[:2]
  with pytest.raises(InputError, match='resize or crop them to 256x128'):
    detector.score(images[:, :64])
  with pytest.raises(InputError, match='multiply them by 255'):
    detector.score(images.astype(np.float32) / 255 - 0.5)
  with pytest.raises(ConfigError, match='no trained model'):
    Detector().score(images)
  with pytest.raises(ConfigError, match='--anomaly_tiles'):
    Detector(settings=DetectorSettings(anomaly_tiles='guess'))


@pytest.mark.slow
def test_save_then_load_gives_identical_scores(detector, trained, tmp_path):
  images = trained[2].images
  again = str(tmp_path / 'copy')
  detector.save(again)
  loaded = Detector.load(again)
  np.testing.assert_array_equal(loaded.score(images), detector.score(images))
  assert loaded.threshold == detector.threshold
  assert loaded.calibration == detector.calibration
  assert loaded.settings == detector.settings
  with pytest.raises(ConfigError, match='not a saved detector'):
    Detector.load(str(tmp_path))


def test_calibration_best_f1_and_target_fpr(detector, trained):
  data = trained[2]
  labels = data.is_anomaly
  best = detector.calibrate(data.images, labels)
  assert best['method'] == 'best_f1'
  scores = detector.score(data.images)
  assert best['f1'] == pytest.approx(metrics.detection_metrics(
      labels, scores, best['threshold'])['f1'])
  # AUROC by every score kind of G, its own first and equal to 'auroc';
  # each as a detector scoring by that kind measures it.
  by_score = best['auroc_by_score']
  assert list(by_score) == ['l1', 'l2', 'patch']
  assert by_score['l1'] == best['auroc']
  by_patch = Detector.load(trained[0])
  by_patch.config = config_lib.replace(by_patch.config,
                                       eval={'score': 'patch'})
  by_patch._set_model(by_patch.model)  # pylint: disable=protected-access
  assert by_score['patch'] == pytest.approx(metrics.auroc(
      labels.astype(int), by_patch.score(data.images)))
  assert by_score['patch'] != pytest.approx(by_score['l1'])
  strict = detector.calibrate(data.images, labels, target_fpr=0.0)
  assert strict['false_positive_rate'] == 0.0
  assert np.all(scores[~labels] < strict['threshold'])
  # The threshold is stored in the graph too.
  np.testing.assert_array_equal(detector.predict(data.images).decisions,
                                scores >= strict['threshold'])
  with pytest.raises(DatasetError, match='normal images'):
    detector.calibrate(data.images[labels], np.ones(int(labels.sum())))


def test_evaluate_reports_image_and_pixel_metrics(detector, trained):
  result = detector.evaluate(trained[2])
  assert result['counts'] == {'normal': 10, 'scratch': 3, 'stain': 3,
                              'stamped': 3}
  # The same scores as score() gives, image for image.
  from ganad_tf.core import metrics
  assert result['auroc'] == pytest.approx(metrics.auroc(
      trained[2].is_anomaly, detector.score(trained[2].images)))
  # Tile AUROC's negatives are every tile of the 10 normal images.
  assert result['tile']['normal_tiles'] == 10 * detector.grid.num_tiles
  assert set(result['per_kind']) == {'scratch', 'stain', 'stamped'}
  pixel = result['pixel']
  assert pixel['defect_images_with_masks'] == 9
  # Rebuilt from error_map() and the masks: heat maps line up with masks.
  data = trained[2]
  heat = detector.error_map(data.images)
  hits = [data.masks[i].ravel()[np.argmax(heat[i])]
          for i in np.flatnonzero(data.labels > 0)
          if data.masks[i] is not None and data.masks[i].any()]
  assert len(hits) == 9
  assert pixel['hottest_pixel_on_defect'] == pytest.approx(np.mean(hits))


@pytest.mark.slow
def test_arrays_without_masks_pick_max_error_tiles_and_normal_only_mode(
    cache):
  rng = np.random.default_rng(0)
  normal = rng.integers(100, 140, (10, 64, 64, 1), dtype=np.uint8)
  defects = normal[:4].copy()
  defects[:, 40:48, 8:16] = 255  # a bright square in tile (1, 0)
  settings = DetectorSettings(tile_size=32, selection_epochs=1)
  detector = Detector(_config(), settings, cache)
  summary = detector.fit(normal, defects, ['spot'] * 4)
  tiles = summary['tiles']
  assert tiles['method'] == {'mask': 0, 'max_error': 3, 'whole_image': 0}
  assert tiles['anomaly'] == {'spot': 3} and tiles['normal'] == 3
  assert summary['calibration']['num_defect'] == 1

  # Normal images only: anomaly losses off, threshold from a target FPR.
  settings = DetectorSettings(tile_size=32, target_fpr=0.0)
  only = Detector(_config(abc=0.0, anomaly_adv=0.0), settings,
                               cache)
  summary = only.fit(normal)
  assert summary['tiles']['anomaly'] == {}
  assert summary['calibration']['method'] == 'target_fpr=0'
  assert summary['calibration']['auroc'] is None
  assert not only.predict(normal).decisions[only.validation is None:].all()
  with pytest.raises(DatasetError, match='--w_abc=0 --w_anomaly_adv=0'):
    Detector(_config()).fit(normal)


@pytest.mark.slow
def test_export_serves_in_a_fresh_process_without_the_package(
    trained, processes):
  model_dir, _, data = trained
  _finish(processes['serve'])
  served = np.load(processes['folder'] / 'out.npz')
  detector = Detector.load(model_dir)
  expected = detector.predict(data.images[_SERVED], with_maps=True)
  np.testing.assert_allclose(served['score'], expected.scores, rtol=1e-5,
                             atol=1e-6)
  np.testing.assert_array_equal(served['decision'], expected.decisions)
  np.testing.assert_allclose(served['error_map'], expected.error_maps,
                             rtol=1e-5, atol=1e-6)
  info = io_utils.read_json(os.path.join(model_dir, 'saved_model',
                                         'serving_info.json'))
  assert info['input']['shape'] == [None, 128, 256, 1]
  assert info['threshold'] == detector.threshold


def test_predict_cli_writes_csv_and_overlays(trained, processes):
  data = trained[2]
  stdout = _finish(processes['predict'])
  assert 'Scored 3 image(s)' in stdout and 'broken.png' in stdout
  out = processes['folder'] / 'out'
  lines = (out / 'predictions.csv').read_text().splitlines()
  assert lines[0] == 'file,score,decision' and len(lines) == 4
  names = sorted(line.split(',')[0] for line in lines[1:])
  assert names == sorted(os.path.basename(n) for n in data.files[_PREDICTED])
  assert all(line.split(',')[2] in ('ok', 'defect') for line in lines[1:])
  overlays = sorted(os.listdir(out / 'overlays'))
  assert len(overlays) == 3 and all(n.endswith('.png') for n in overlays)


@pytest.mark.slow
@pytest.mark.parametrize('kind', ['classifier', 'autoencoder'])
def test_each_baseline_trains_saves_loads_exports_and_evaluates(
    kind, synth_dir, cache, tmp_path):
  config = config_lib.replace(_config(), model={'kind': kind})
  model_dir = str(tmp_path / kind)
  results = workflow.train_folder(
      synth_dir, model_dir, config,
      DetectorSettings(tile_size=64, tile_stride=(64, 48)),
      trainer_cache=cache)
  model_file = config_lib.saved_model_file(kind)
  assert os.path.exists(os.path.join(model_dir, model_file))
  detector = Detector.load(model_dir)
  assert detector.config.model.kind == kind
  state = io_utils.read_json(os.path.join(model_dir, 'detector.json'))
  assert state['model'] == kind
  assert state['score_kind'] == ('logit' if kind == 'classifier' else 'l1')
  tiles = results['training']['tiles']
  if kind == 'classifier':
    # Trained on defect tiles too, with the GAN's balanced tile set.
    assert tiles['normal'] == sum(tiles['anomaly'].values()) > 0
    assert detector.generator is None
  else:
    assert not tiles.get('anomaly')  # normal tiles alone
    assert detector.generator is detector.model
  data = folder_data.load_folder(synth_dir)
  prediction = detector.predict(data.images[:3], with_maps=True)
  assert prediction.error_maps.shape == (3, 128, 256)
  assert np.all(np.isfinite(prediction.error_maps))
  # The exported SavedModel serves the same scores.
  import tensorflow as tf
  served = tf.saved_model.load(os.path.join(model_dir, 'saved_model'))
  out = served.signatures['serving_default'](
      images=tf.constant(data.images[:5]))
  np.testing.assert_allclose(out['score'].numpy(),
                             detector.score(data.images[:5]), rtol=1e-5)
  # The classifier has one score; the auto-encoder G's three.
  by_score = results['validation']['auroc_by_score']
  assert (by_score is None if kind == 'classifier' else
          list(by_score) == ['l1', 'l2', 'patch'])
  report = detector.evaluate(data)
  assert set(report) >= {'auroc', 'precision', 'recall', 'f1'}
  assert report['auroc'] == pytest.approx(metrics.auroc(
      data.is_anomaly.astype(int), detector.score(data.images)))
  if kind == 'classifier':
    # A classifier's heat: each tile holds its probability.
    maps = prediction.error_maps
    assert maps.min() >= 0 and maps.max() <= 1


def test_a_classifier_needs_defect_images(tmp_path):
  images = np.zeros((4, 32, 32, 1), np.uint8)
  detector = Detector(config_lib.replace(_config(),
                                         model={'kind': 'classifier'}))
  with pytest.raises(DatasetError, match='--model=autoencoder'):
    detector.fit(images)


@pytest.mark.slow
def test_predict_and_evaluate_scores_each_image_once(detector, trained,
                                                     synth_dir, tmp_path,
                                                     monkeypatch):
  from ganad_tf.inspection import inference
  scored = []
  real_call = inference.call
  monkeypatch.setattr(inference, 'call', lambda module, pixels, keys: (
      scored.append(len(pixels)), real_call(module, pixels, keys))[1])
  summary, result = workflow.predict_and_evaluate(
      detector, synth_dir, str(tmp_path / 'out'), overlays=True)
  data = trained[2]
  assert sum(scored) == len(data.images) == summary['scored']
  # The same numbers as the two separate calls give.
  expected = detector.evaluate(synth_dir)
  assert result['auroc'] == pytest.approx(expected['auroc'])
  np.testing.assert_allclose(result['scores']['scores'],
                             expected['scores']['scores'], rtol=1e-6)
  rows = {row['file']: row for row in summary['rows']}
  assert set(rows) == set(data.files)
  for name, score in zip(expected['scores']['files'],
                         expected['scores']['scores']):
    assert rows[name]['score'] == pytest.approx(score, rel=1e-6)
    assert rows[name]['decision'] == (rows[name]['score'] >=
                                      detector.threshold)
  assert len(os.listdir(tmp_path / 'out' / 'overlays')) == len(rows)


@pytest.mark.slow
def test_the_comparison_table_reads_a_trained_detector(detector, trained,
                                                       synth_dir, tmp_path):
  import shutil
  from ganad_tf.inspection import comparison
  model_dir, results, _ = trained
  _, evaluation = workflow.predict_and_evaluate(
      detector, synth_dir, str(tmp_path / 'out'), overlays=False)
  runs = tmp_path / 'runs'
  shutil.copytree(model_dir, runs / 'gan',
                  ignore=shutil.ignore_patterns('runs', 'saved_model'))
  io_utils.write_json(str(runs / 'gan' / workflow.EVALUATION_FILE),
                      evaluation)
  lines = comparison.compare_detectors(str(runs)).splitlines()
  flagged = evaluation['true_positives'] + evaluation['false_positives']
  assert lines[2].startswith(
      f"| GAN (the paper's method) | {results['validation']['auroc']:.2f} | "
      f"{evaluation['auroc']:.2f} | {evaluation['precision']:.3f} | "
      f"{evaluation['recall']:.3f} | {evaluation['f1']:.3f} | {flagged}/"
      f"{sum(COUNTS.values())} | ")
  assert 'Test AUROC per defect kind' in '\n'.join(lines)
