"""The two baselines, --model=classifier and --model=autoencoder: their
networks, configs, training, resume and benchmark results."""

import os

import numpy as np
import pytest

from conftest import blob_images, digits_config
from ganad_tf.benchmark import report
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark import runner as benchmark
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import classifier_step
from ganad_tf.core import config as config_lib
from ganad_tf.core import models
from ganad_tf.core import trainer as trainer_lib
from ganad_tf.core.scoring import KindScorers, LogitScorer
from ganad_tf.errors import ConfigError, DatasetError


def _config(kind, **train):
  settings = dict(epochs=2, batch_size=8, learning_rate=1e-3, augment='none',
                  steps_per_execution=4, log_every_secs=1000)
  settings.update(train)
  return config_lib.replace(BenchmarkConfig(), model={'kind': kind},
                            train=settings)


@pytest.fixture(scope='module')
def blobs():
  rng = np.random.default_rng(0)
  return (blob_images(rng, 24, centre=(16, 16)),
          blob_images(rng, 24, centre=(8, 24), radius=4))


def test_classifier_has_the_generators_size():
  # 4*4*3*12+12, 4*4*12*24+2*24, 4*4*24*48+2*48, 4*4*48*96+2*96, 96+1.
  model = models.build_classifier((32, 32, 3))
  assert models.count_trainable_params(model) == (
      588 + 4_656 + 18_528 + 73_920 + 97) == 97_789
  assert model(np.zeros((5, 32, 32, 3), np.float32)).shape == (5, 1)
  assert models.build_classifier((64, 64, 1), base_channels=4)(
      np.zeros((2, 64, 64, 1), np.float32)).shape == (2, 1)


def test_autoencoder_trains_the_reconstruction_loss_alone():
  config = config_lib.replace(BenchmarkConfig(), model={'kind': 'autoencoder'},
                              weights={'recon': 2.0, 'abc': 0.7})
  assert config.weights.losses_on() == ('recon',)
  assert config.weights.recon == 2.0
  assert not config.weights.uses_anomaly_group
  # The saved config says what was trained, and reloads to the same.
  again = BenchmarkConfig.from_dict(config.to_dict())
  assert again.weights == config.weights


def test_model_kind_is_checked_and_fingerprinted():
  with pytest.raises(ConfigError, match="Unknown model 'svm'"):
    config_lib.replace(BenchmarkConfig(), model={'kind': 'svm'}).validate()
  gan = BenchmarkConfig()
  # Runs made before the field existed keep their identity.
  values = gan.to_dict()
  del values['model']['kind']
  assert config_lib.fingerprint(gan) == config_lib.fingerprint(
      BenchmarkConfig.from_dict(values))
  kinds = {config_lib.fingerprint(config_lib.replace(
      gan, model={'kind': kind})) for kind in config_lib.MODEL_KINDS}
  assert len(kinds) == 3


def test_classifier_pool_is_labelled_and_batches_are_mixed(blobs):
  normal, anomaly = blobs
  trainer = trainer_lib.Trainer(_config('classifier'), normal.shape[1:])
  images, labels = trainer.graph.loop_inputs(normal, anomaly[:10])
  np.testing.assert_array_equal(labels.numpy(), [0] * 24 + [1] * 10)
  np.testing.assert_array_equal(images.numpy()[24:], anomaly[:10])
  # The first batches of a pass draw from the whole pool.
  from ganad_tf.core import train_step
  seen = []
  for batch in range(3):
    trainer.run_state.group_batches.assign([batch, 0])
    seen.append(labels.numpy()[train_step.batch_positions(
        34, classifier_step.POOL_GROUP, trainer.spec,
        trainer.run_state).numpy()])
  assert 0 < np.mean(np.concatenate(seen)) < 1


def test_classifier_learns_and_scores_by_logit(blobs):
  normal, anomaly = blobs
  config = _config('classifier', epochs=4)
  trainer = trainer_lib.Trainer(config, normal.shape[1:])
  result = trainer.fit(normal, anomaly)
  assert result.steps == 4 * 6  # 48 images, batch 8
  assert set(result.final_losses) == set(classifier_step.CLASSIFIER_REPORTED)
  assert trainer.parameter_counts() == {
      'classifier_params': models.count_trainable_params(
          models.build_classifier((32, 32, 1)))}
  scorers = KindScorers(trainer.scoring_model, config)
  assert scorers.main == config_lib.CLASSIFIER_SCORE
  scores = scorers.score_split(np.concatenate([normal, anomaly]))['logit']
  # Two disc positions, 24 steps: every anomaly above every normal image.
  assert scores[24:].min() > scores[:24].max()
  with pytest.raises(ConfigError, match='no reconstructions'):
    LogitScorer(trainer.scoring_model).scores_and_reconstructions(normal)
  with pytest.raises(ConfigError, match='no generator'):
    _ = trainer.generator


def test_classifier_needs_anomalies(blobs):
  trainer = trainer_lib.Trainer(_config('classifier'), (32, 32, 1))
  with pytest.raises(DatasetError, match='classifier needs anomaly'):
    trainer.fit(blobs[0], blobs[0][:0])


def test_interrupted_classifier_resumes_exactly(blobs, tmp_path):
  normal, anomaly = blobs
  trainer = trainer_lib.Trainer(_config('classifier', epochs=3),
                                normal.shape[1:])
  trainer.fit(normal, anomaly)
  straight = trainer.scoring_model.get_weights()
  run_dir = str(tmp_path / 'run')
  trainer.fit(normal, anomaly, run_dir=run_dir,
              config=_config('classifier', epochs=1))
  # Same run, longer: the lr schedule has no decay within 3 epochs.
  result = trainer.fit(normal, anomaly, run_dir=run_dir,
                       config=_config('classifier', epochs=3))
  assert result.resumed_from_step == 6
  for a, b in zip(straight, trainer.scoring_model.get_weights()):
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize('kind', ['classifier', 'autoencoder'])
def test_benchmark_runs_each_baseline(kind, tmp_path):
  config = config_lib.replace(digits_config(), model={'kind': kind},
                              data={'validation_fraction': 0.2})
  output_dir = str(tmp_path)
  results = benchmark.run_benchmark(config, output_dir, normal_classes=[0],
                                    command='test')
  assert results['model'] == kind
  detail = results['per_class_detail']['0']
  folder = run_folder.class_dir(output_dir, 0)
  saved = np.load(os.path.join(folder, run_folder.SCORES_FILE))
  if kind == 'classifier':
    assert detail['score'] == 'logit'
    assert set(detail['validation_auroc_by_score']) == {'logit'}
    assert 'validation_scores_logit' in saved.files
    assert os.path.exists(os.path.join(folder, run_folder.CLASSIFIER_FILE))
    assert results['classifier_params'] == 97_405
    assert 'Classifier 97,405 parameters' in report.format_table(results)
  else:
    assert detail['score'] == 'l1'
    assert os.path.exists(os.path.join(folder, run_folder.GENERATOR_FILE))
    # No discriminator is trained, so none is counted.
    assert 'discriminator_params' not in results
    assert 'no discriminator' in report.format_table(results)
  # Train AUROC on training images, beside validation and test. Digit 0
  # after 2 epochs (14 steps for the auto-encoder): about 95-100 on each.
  for key in ('train_auroc', 'validation_auroc', 'auroc'):
    assert 75 < detail[key] <= 100, key
