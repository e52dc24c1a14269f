"""The training loop: updates, determinism, reuse, resume, NaN handling."""

import os

import numpy as np
import pytest

from conftest import blob_images
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import checkpoints
from ganad_tf.core import config as config_lib
from ganad_tf.core import trainer as trainer_lib
from ganad_tf.errors import ConfigError, DatasetError, InputError
from ganad_tf.errors import NonFiniteLossError


def _config(**train):
  settings = dict(epochs=1, batch_size=8, learning_rate=1e-3,
                  steps_per_execution=4, log_every_secs=1000)
  settings.update(train)
  return config_lib.replace(BenchmarkConfig(), train=settings)


@pytest.fixture(scope='module')
def data():
  rng = np.random.default_rng(0)
  normal = blob_images(rng, 24, centre=(16, 16))
  anomaly = blob_images(rng, 24, centre=(8, 24), radius=4)
  return normal, anomaly


@pytest.fixture(scope='module')
def shared(data):
  """One traced Trainer that most tests reuse through fit(config=...)."""
  return trainer_lib.Trainer(_config(), data[0].shape[1:], 'digits')


def _weights(trainer):
  return [w.copy() for m in (trainer.generator, trainer.disc_normal,
                             trainer.disc_anomaly) for w in m.get_weights()]


@pytest.mark.slow
def test_training_steps_change_all_networks_and_losses_are_finite(
    data, shared):
  trainer = shared
  before = [w.copy() for w in trainer.initial_weights(0)[0]]
  result = trainer.fit(*data)
  assert result.steps == trainer.steps_per_epoch == 6
  after = trainer.generator.get_weights()
  assert any(not np.array_equal(a, b) for a, b in zip(before, after))
  assert all(np.isfinite(v) for v in result.final_losses.values())
  # Both groups ran in 6 random draws with this seed, so both
  # discriminators moved away from their initial weights.
  for index, model in ((1, trainer.disc_normal), (2, trainer.disc_anomaly)):
    initial = trainer.initial_weights(0)[index]
    assert any(not np.array_equal(a, b)
               for a, b in zip(initial, model.get_weights()))


@pytest.mark.slow
def test_same_seed_same_weights_different_seed_different(data, shared):
  first = shared
  first.fit(*data, config=_config(seed=3))
  weights_a = _weights(first)
  second = trainer_lib.Trainer(_config(seed=3), data[0].shape[1:], 'digits')
  second.fit(*data)
  for a, b in zip(weights_a, _weights(second)):
    np.testing.assert_array_equal(a, b)
  # Reusing the trainer with a new seed changes the run.
  first.fit(*data, config=_config(seed=4))
  assert any(not np.array_equal(a, b)
             for a, b in zip(weights_a, _weights(first)))
  # ...and going back to the first seed reproduces it exactly.
  first.fit(*data, config=_config(seed=3))
  for a, b in zip(weights_a, _weights(first)):
    np.testing.assert_array_equal(a, b)


def test_normal_only_group_leaves_anomaly_discriminator_untouched(
    data, shared):
  trainer = shared
  result = trainer.fit(*data, config=_config(normal_group_prob=1.0))
  assert 'abc' not in result.final_losses and 'recon' in result.final_losses
  for a, b in zip(trainer.initial_weights(0)[2],
                  trainer.disc_anomaly.get_weights()):
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_plain_autoencoder_needs_no_anomalies(data):
  config = config_lib.replace(
      _config(), weights=dict(patch=0, latent=0, adv=0, abc=0,
                              anomaly_adv=0))
  trainer = trainer_lib.Trainer(config, data[0].shape[1:], 'digits')
  result = trainer.fit(data[0], data[0][:0])
  assert set(result.final_losses) == {'recon', 'patch', 'latent', 'adv',
                                      'd_normal', 'g_normal'}
  # 'adv' reads 0 by construction when off; what being off means is that
  # D_normal never trains and G's loss is the weighted reconstruction alone.
  for a, b in zip(trainer.initial_weights(config.train.seed)[1],
                  trainer.disc_normal.get_weights()):
    np.testing.assert_array_equal(a, b)
  assert result.final_losses['recon'] > 0
  assert result.final_losses['g_normal'] == pytest.approx(
      config.weights.recon * result.final_losses['recon'])
  assert trainer.steps_per_epoch == 3  # 24 normal images / batch 8


def test_learning_rate_halves_every_decay_period(data):
  trainer = trainer_lib.Trainer(_config(lr_decay_epochs=2, learning_rate=0.1),
                                data[0].shape[1:], 'digits')
  assert [trainer.learning_rate_at(e) for e in (0, 1, 2, 3, 4)] == [
      0.1, 0.1, 0.05, 0.05, 0.025]


@pytest.mark.slow
def test_resume_matches_uninterrupted_run(data, shared, tmp_path):
  shared.fit(*data, config=_config(epochs=3))
  expected = _weights(shared)
  # Interrupted after one epoch, then resumed with chunks of another size.
  # fit() resets every variable before restoring, as a new process would
  # start (test_reliability kills a real process).
  shared.fit(*data, run_dir=str(tmp_path), config=_config(epochs=1))
  resumed = shared
  result = resumed.fit(*data, run_dir=str(tmp_path),
                       config=_config(epochs=3, steps_per_execution=5))
  assert result.resumed_from_step == 6 and result.steps == 18
  for a, b in zip(expected, _weights(resumed)):
    np.testing.assert_array_equal(a, b)
  # Optimizer state came back too: its iteration count covers all steps.
  assert int(resumed.optimizers.generator.iterations.numpy()) == 18


@pytest.mark.slow
def test_resumed_run_reports_the_time_of_every_invocation(data, shared,
                                                          tmp_path):
  first = shared.fit(*data, run_dir=str(tmp_path), config=_config(epochs=1))
  assert first.earlier_train_seconds == 0.0
  folder = str(tmp_path / 'checkpoints')
  recorded = checkpoints.read_train_seconds(folder, 6)
  assert 0 < recorded <= first.train_seconds
  second = shared.fit(*data, run_dir=str(tmp_path), config=_config(epochs=2))
  assert second.earlier_train_seconds == pytest.approx(recorded)
  # A checkpoint from before these records: the total is unknown, not
  # silently this invocation's alone.
  os.remove(os.path.join(folder, checkpoints.TRAIN_SECONDS_FILE))
  third = shared.fit(*data, run_dir=str(tmp_path), config=_config(epochs=3))
  assert third.resumed_from_step == 12 and third.earlier_train_seconds is None
  assert checkpoints.read_train_seconds(folder, 18) is None


def test_corrupt_checkpoint_falls_back_to_previous(data, shared, tmp_path):
  shared.fit(*data, run_dir=str(tmp_path), config=_config(epochs=2))
  expected = _weights(shared)
  folder = tmp_path / 'checkpoints'
  newest = sorted(folder.glob('ckpt-12.data-*'))[0]
  newest.write_bytes(newest.read_bytes()[:100])  # truncate
  result = shared.fit(*data, run_dir=str(tmp_path), config=_config(epochs=2))
  assert result.resumed_from_step == 6
  assert list(folder.glob('corrupt-ckpt-12.*'))
  # Retraining epoch 2 from the good checkpoint gives the same weights.
  for a, b in zip(expected, _weights(shared)):
    np.testing.assert_array_equal(a, b)
  assert sorted(p.name for p in folder.glob('ckpt-*.index')) == [
      'ckpt-12.index', 'ckpt-6.index']


def test_non_finite_loss_stops_with_a_clear_error(data, shared, tmp_path):
  # An absurd learning rate blows the weights up within a few steps.
  config = _config(epochs=50, learning_rate=1e30, lr_decay_epochs=1000)
  trainer = shared
  with pytest.raises(NonFiniteLossError, match=r'became NaN/Inf at step \d+'):
    trainer.fit(*data, run_dir=str(tmp_path), config=config)
  # The model was never updated with a non-finite step.
  assert all(np.all(np.isfinite(w)) for w in trainer.generator.get_weights())


def test_bad_inputs_are_rejected(data, shared):
  trainer = shared
  with pytest.raises(InputError, match='expects'):
    trainer.fit(data[0][:, :16, :16], data[1])
  with pytest.raises(InputError, match='4-D'):
    trainer.fit(data[0][..., 0], data[1])
  nan_images = data[0].copy()
  nan_images[3, 0, 0, 0] = np.nan
  with pytest.raises(InputError, match='NaN'):
    trainer.fit(nan_images, data[1])
  with pytest.raises(InputError, match=r'\[-1, 1\]'):
    trainer.fit(data[0] * 255, data[1])
  with pytest.raises(DatasetError, match='no anomaly training images'):
    trainer.fit(data[0], data[1][:0])
  with pytest.raises(ConfigError, match='changes the graph'):
    trainer.fit(*data, config=_config(batch_size=4))


def test_config_conflicts_are_rejected():
  with pytest.raises(ConfigError, match='batch_size'):
    trainer_lib.Trainer(_config(batch_size=0), (32, 32, 1))
  with pytest.raises(ConfigError, match='epochs'):
    trainer_lib.Trainer(_config(epochs=-1), (32, 32, 1))
  with pytest.raises(ConfigError, match='patch_size=64 is larger'):
    trainer_lib.Trainer(_config(patch_size=64), (32, 32, 1))


@pytest.mark.slow
def test_snapshots_keep_the_generator_every_n_epochs(data, shared, tmp_path):
  shared.fit(*data, run_dir=str(tmp_path),
             config=_config(epochs=4, snapshot_every_epochs=2))
  names = sorted(p.name for p in (tmp_path / 'snapshots').iterdir())
  assert names == ['epoch_0002.npz', 'epoch_0004.npz']
  # Anything else in the folder is not a snapshot.
  (tmp_path / 'snapshots' / 'epoch_0006.npz.tmp').write_text('')
  found = trainer_lib.list_snapshots(str(tmp_path))
  assert found == {epoch: str(tmp_path / 'snapshots' / name)
                   for epoch, name in zip((2, 4), names)}
  last = trainer_lib.load_snapshot(found[4])
  for a, b in zip(last, shared.generator.get_weights()):
    np.testing.assert_array_equal(a, b)
  middle = trainer_lib.load_snapshot(found[2])
  assert any(not np.array_equal(a, b) for a, b in zip(middle, last))


def test_the_authors_readings_train_together(data):
  config = config_lib.replace(
      _config(epochs=2), model={'init': 'normal'},
      train={'disc_loss': 'bce', 'adam_beta1': 0.5, 'lr_decay_factor': 1.0,
             'detach_patch_loss': True, 'augment': 'authors',
             'group_schedule': 'proportional', 'abc_reduction': 'batch'})
  trainer = trainer_lib.Trainer(config, data[0].shape[1:], 'digits')
  kernel = trainer.initial_weights(0)[0][0]  # G's first kernel
  assert abs(kernel.std() - 0.02) < 0.005
  result = trainer.fit(*data)
  assert result.steps == 2 * 6
  assert all(np.isfinite(v) for v in result.final_losses.values())
  assert trainer.spec.disc_loss == 'bce' and trainer.spec.detach_patch_loss
