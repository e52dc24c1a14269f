"""--encoder_head: the authors' classifier head on G's latent code, trained
beside the GAN (detached), and its score kind 'head'."""

import math
import os

import numpy as np
import pytest
import tensorflow as tf

from conftest import blob_images, digits_config
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark import runner as benchmark
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.core import losses
from ganad_tf.core import models
from ganad_tf.core import train_step
from ganad_tf.core import trainer as trainer_lib
from ganad_tf.core.scoring import KindScorers, LogitScorer
from ganad_tf.errors import ConfigError

SHAPE = (32, 32, 1)


def _config(**model):
  return config_lib.replace(
      BenchmarkConfig(), model={'encoder_head': True, **model},
      train=dict(epochs=4, batch_size=8, learning_rate=1e-3, augment='none',
                 steps_per_execution=4, log_every_secs=1000))


@pytest.fixture(scope='module')
def blobs():
  rng = np.random.default_rng(0)
  return (blob_images(rng, 24, centre=(16, 16)),
          blob_images(rng, 24, centre=(8, 24), radius=4))


def test_head_size_and_shapes():
  # One 4x4 conv 64 -> 64 with bias, then a dense logit: 65,600 + 65.
  head = models.build_encoder_head((2, 2, 64))
  assert models.count_trainable_params(head) == 4 * 4 * 64 * 64 + 64 + 65
  assert models.count_trainable_params(head) == 65_665
  assert head(np.zeros((3, 2, 2, 64), np.float32)).shape == (3, 1)
  # The same count at any image size (a larger latent, the same layers).
  assert models.count_trainable_params(
      models.build_encoder_head((8, 8, 64))) == 65_665
  generator = models.build_generator(SHAPE)
  combined = models.generator_with_head(generator, head)
  reconstruction, latent, logit = combined(np.zeros((2,) + SHAPE, np.float32))
  assert (reconstruction.shape, latent.shape, logit.shape) == (
      (2,) + SHAPE, (2, 2, 2, 64), (2, 1))
  # One set of weights: G's and the head's, shared, not copied.
  assert models.count_trainable_params(combined) == (
      models.count_trainable_params(generator) + 65_665)


def test_flatten_head_reads_every_position():
  # The same conv, then a dense logit on all 6*6*64 features: 65,600 +
  # 2,304 + 1; on a 2x2 latent (32x32 images) 65,600 + 256 + 1.
  head = models.build_encoder_head((6, 6, 64), pool='flatten')
  assert models.count_trainable_params(head) == 65_600 + 6 * 6 * 64 + 1
  assert models.count_trainable_params(
      models.build_encoder_head((2, 2, 64), pool='flatten')) == 65_857
  # Average pooling cannot tell a feature's place, flattening can. The
  # feature moves between two spots whose 4x4 conv footprints both lie
  # inside the 6x6 grid, so padding cannot tell them apart either.
  latent = np.zeros((1, 6, 6, 64), np.float32)
  moved = latent.copy()
  latent[0, 2, 2] = 1.0
  moved[0, 3, 3] = 1.0
  average = models.build_encoder_head((6, 6, 64))
  np.testing.assert_allclose(average(latent), average(moved), rtol=1e-5)
  assert abs(float(head(latent)[0, 0]) - float(head(moved)[0, 0])) > 1e-4
  with pytest.raises(ConfigError, match='average or flatten'):
    models.build_encoder_head((6, 6, 64), pool='max')


def test_head_pool_needs_the_head():
  with pytest.raises(ConfigError, match='--encoder_head_pool only applies'):
    config_lib.replace(BenchmarkConfig(),
                       model={'encoder_head_pool': 'flatten'}).validate()
  config = _config(encoder_head_pool='flatten')
  config.validate()
  # Runs made before the option existed keep their identity.
  values = _config().to_dict()
  del values['model']['encoder_head_pool']
  assert config_lib.fingerprint(_config()) == config_lib.fingerprint(
      BenchmarkConfig.from_dict(values))
  assert config_lib.fingerprint(config) != config_lib.fingerprint(_config())
  trainer = trainer_lib.Trainer(config, SHAPE)
  assert trainer.parameter_counts()['encoder_head_params'] == 65_857


def test_head_loss_on_hand_values():
  # BCE(sigmoid(0), y) = ln 2 for either label; BCE(sigmoid(ln 3), 1) =
  # -ln(3/4).
  assert float(losses.head_loss(tf.zeros([4, 1]), 1.0)) == pytest.approx(
      math.log(2), rel=1e-6)
  assert float(losses.head_loss(tf.fill([2, 1], math.log(3.0)), 1.0)) == (
      pytest.approx(-math.log(0.75), rel=1e-5))
  assert float(losses.head_loss(tf.fill([2, 1], math.log(3.0)), 0.0)) == (
      pytest.approx(-math.log(0.25), rel=1e-5))
  # One label per logit: the mean of the two.
  assert float(losses.head_loss(tf.fill([2, 1], math.log(3.0)),
                                tf.constant([[1.0], [0.0]]))) == (
      pytest.approx(-(math.log(0.75) + math.log(0.25)) / 2, rel=1e-5))


def test_head_needs_the_gan_and_its_anomaly_group():
  with pytest.raises(ConfigError, match='needs --model=gan'):
    _config(kind='classifier').validate()
  no_anomalies = config_lib.replace(_config(),
                                    weights={'abc': 0.0, 'anomaly_adv': 0.0})
  with pytest.raises(ConfigError, match='never see an anomaly'):
    no_anomalies.validate()
  # Runs made before the flag existed keep their identity.
  values = BenchmarkConfig().to_dict()
  del values['model']['encoder_head']
  assert config_lib.fingerprint(BenchmarkConfig()) == config_lib.fingerprint(
      BenchmarkConfig.from_dict(values))
  assert config_lib.fingerprint(_config()) != config_lib.fingerprint(
      config_lib.replace(_config(), model={'encoder_head': False}))


@pytest.mark.parametrize('group', [train_step.NORMAL_GROUP,
                                   train_step.ANOMALY_GROUP])
def test_head_is_detached_from_the_generator(blobs, group):
  # The same G, D and weights with and without the head: G's and D's
  # gradients are identical, the head's are not zero, and the reported
  # head BCE is that of the head on G's latent code with the group's label.
  config = _config()
  with_head = trainer_lib.Trainer(config, SHAPE)
  without = trainer_lib.Trainer(
      config_lib.replace(config, model={'encoder_head': False}), SHAPE)
  # Same seed, same G and D weights (each model draws from its name).
  for a, b in zip(with_head.graph.models, without.graph.models):
    for x, y in zip(a.get_weights(), b.get_weights()):
      np.testing.assert_array_equal(x, y)
  images = tf.constant(blobs[group][:8])
  run = with_head.run_state
  run.loss_weights.assign([1.0] * len(config_lib.WEIGHT_NAMES))
  vector, gen, disc, head = train_step.group_gradients(
      with_head.networks, with_head.spec, run, images, group)
  _, gen_ref, disc_ref, head_ref = train_step.group_gradients(
      without.networks, without.spec, run, images, group)
  assert head_ref == []
  for a, b in list(zip(gen, gen_ref)) + list(zip(disc, disc_ref)):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  assert float(tf.linalg.global_norm(head)) > 0
  name = train_step.HEAD_REPORTED[group]
  latent = with_head.networks.generator(images, training=True)[1]
  expected = losses.head_loss(with_head.networks.head(latent), float(group))
  assert float(vector[with_head.spec.reported_names.index(name)]) == (
      pytest.approx(float(expected), rel=1e-5))


def test_mixed_head_batches_hold_both_labels(blobs):
  # A head with zero weights outputs logit 0: BCE ln 2 whatever the labels.
  # Its bias gradient is mean(sigmoid(0) - label): 0.5 on an all-normal
  # batch, 0 on a half-normal half-anomaly one.
  trainer = trainer_lib.Trainer(_config(), SHAPE)
  head = trainer.networks.head
  head.set_weights([np.zeros_like(w) for w in head.get_weights()])
  normal, anomaly = (tf.constant(b[:4]) for b in blobs)
  loss, grads = train_step.mixed_head_gradients(trainer.networks, normal,
                                                anomaly, 0)
  assert float(loss) == pytest.approx(math.log(2), rel=1e-6)
  assert float(grads[-1][0]) == pytest.approx(0.0, abs=1e-7)
  with tf.GradientTape() as tape:
    logits = head(trainer.networks.encoder(normal))
    group_loss = losses.head_loss(logits, 0.0)
  assert float(tape.gradient(group_loss, head.trainable_variables)[-1][0]) \
      == pytest.approx(0.5, rel=1e-6)


def test_a_mixed_head_leaves_g_as_without_it(blobs):
  normal, anomaly = blobs
  mixed = config_lib.replace(_config(), train={'head_batches': 'mixed'})
  without = config_lib.replace(_config(), model={'encoder_head': False})
  weights = []
  for config in (mixed, without):
    trainer = trainer_lib.Trainer(config, SHAPE)
    trainer.fit(normal, anomaly)
    weights.append(trainer.networks.generator.get_weights())
  # The same batches and updates: a different batch order would move G's
  # weights by far more than float order can.
  for a, b in zip(*weights):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  with pytest.raises(ConfigError, match='only applies with --encoder_head'):
    config_lib.replace(without, train={'head_batches': 'mixed'}).validate()


@pytest.mark.parametrize('head_batches', ['group', 'mixed'])
def test_head_trains_saves_and_scores(blobs, tmp_path, head_batches):
  normal, anomaly = blobs
  config = config_lib.replace(_config(), train={'head_batches': head_batches})
  trainer = trainer_lib.Trainer(config, SHAPE)
  result = trainer.fit(normal, anomaly, run_dir=str(tmp_path))
  assert set(train_step.HEAD_REPORTED) <= set(result.final_losses)
  assert trainer.parameter_counts()['encoder_head_params'] == 65_665
  # Checkpointed with the head and its optimizer.
  assert {'encoder_head', 'encoder_head_optimizer'} <= set(
      trainer.graph.tracked)
  scorers = KindScorers(trainer.scoring_model, config)
  assert set(scorers.by_kind) == set(config_lib.SCORES) | {
      config_lib.HEAD_SCORE}
  scores = scorers.score_split(np.concatenate([normal, anomaly]))
  # 12 steps on two disc positions: every anomaly above every normal image
  # (mean logits about -2.8 and +3.5 over three data seeds).
  assert scores['head'][24:].min() > scores['head'][:24].max()
  with pytest.raises(ConfigError, match='no reconstructions'):
    LogitScorer(trainer.scoring_model, kind='head').scores_and_reconstructions(
        normal)
  # A second run on the same Trainer starts the head from fresh weights.
  fresh = models.initial_weights(trainer.networks.head, config.train.seed)
  trainer.fit(normal, anomaly, config=config)
  trainer._reset(config.train.seed)  # pylint: disable=protected-access
  for a, b in zip(trainer.networks.head.get_weights(), fresh):
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_benchmark_records_the_head_score(tmp_path):
  config = config_lib.replace(digits_config(epochs=1),
                              model={'encoder_head': True},
                              data={'validation_fraction': 0.2})
  output_dir = str(tmp_path)
  results = benchmark.run_benchmark(config, output_dir, normal_classes=[0],
                                    command='test')
  detail = results['per_class_detail']['0']
  assert detail['score'] == 'l1'  # the main score stays the paper's
  assert {'l1', 'head'} <= set(detail['validation_auroc_by_score'])
  assert {'l1', 'head'} <= set(detail['test_auroc_by_score'])
  assert results['encoder_head_params'] == 65_665
  with np.load(os.path.join(run_folder.class_dir(output_dir, 0),
                            run_folder.SCORES_FILE)) as saved:
    assert saved['test_scores_head'].shape == saved['scores'].shape


def test_score_head_needs_the_head():
  with pytest.raises(ConfigError, match='--encoder_head'):
    config_lib.replace(BenchmarkConfig(), eval={'score': 'head'}).validate()
  config_lib.replace(_config(), eval={'score': 'head'}).validate()


@pytest.mark.slow
def test_a_detector_scores_by_the_head_and_round_trips(tmp_path):
  import tensorflow as tf  # pylint: disable=redefined-outer-name,reimported
  from ganad_tf.data import folder_data
  from ganad_tf.data.synthetic.config import SyntheticConfig
  from ganad_tf.data.synthetic.writer import generate_dataset
  from ganad_tf.inspection import workflow
  from ganad_tf.inspection.config import InspectionConfig
  from ganad_tf.inspection.detector import Detector
  from ganad_tf.inspection.settings import DetectorSettings
  data_dir = str(tmp_path / 'data')
  generate_dataset(data_dir, SyntheticConfig(
      width=128, height=128,
      counts={'normal': 8, 'scratch': 2, 'stamped': 2, 'stain': 2},
      seed=2))
  config = config_lib.replace(
      InspectionConfig(), model={'encoder_head': True},
      eval={'score': 'head'}, data={'image_size': 32},
      train={'epochs': 1, 'batch_size': 8, 'learning_rate': 1e-3,
             'steps_per_execution': 16, 'log_every_secs': 1000})
  model_dir = str(tmp_path / 'model')
  results = workflow.train_folder(
      data_dir, model_dir, config, DetectorSettings(tile_size=64),
      baseline=False)
  assert results['training']['parameters']['encoder_head_params'] == 65_665
  # Its own score first, then G's reconstruction scores.
  assert list(results['validation']['auroc_by_score']) == [
      'head', 'l1', 'l2', 'patch']
  detector = Detector.load(model_dir)
  assert detector.config.eval.score == 'head'
  data = folder_data.load_folder(data_dir)
  scores = detector.score(data.images)
  trained = Detector.load(model_dir)  # a second load: the same numbers
  np.testing.assert_array_equal(scores, trained.score(data.images))
  # The score is the largest tile logit of the head; the heat map G's error.
  from ganad_tf.inspection import tiles
  from ganad_tf.pixels import to_model_range
  model_input = tiles.tiles_for_model(
      to_model_range(tf.constant(data.images[:3], tf.float32)), detector.grid,
      32, detector.settings.center_tiles)
  logits = detector.model(model_input)[2].numpy().reshape(3, -1)
  np.testing.assert_allclose(scores[:3], logits.max(axis=1), rtol=1e-4,
                             atol=1e-5)
  prediction = detector.predict(data.images[:2], with_maps=True)
  assert prediction.error_maps.shape == (2, 128, 128)
  assert prediction.error_maps.min() >= 0
  served = tf.saved_model.load(os.path.join(model_dir, 'saved_model'))
  out = served.signatures['serving_default'](
      images=tf.constant(data.images[:4]))
  np.testing.assert_allclose(out['score'].numpy(), scores[:4], rtol=1e-5)
