"""The training step through its public functions: losses, gradients,
group draws and batches."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from conftest import blob_images
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.core import losses
from ganad_tf.core import models
from ganad_tf.core import train_step
from ganad_tf.core.optimizer import Adam
from ganad_tf.core.trainer import Trainer

SHAPE = (32, 32, 1)


def _config(**train):
  settings = dict(epochs=1, batch_size=4, learning_rate=1e-3,
                  steps_per_execution=8, log_every_secs=1000)
  settings.update(train)
  return config_lib.replace(BenchmarkConfig(), train=settings)


def _spec(**changes):
  spec = train_step.StepSpec.from_config(_config(), SHAPE, 'digits')
  return dataclasses.replace(spec, **changes)


@pytest.fixture(scope='module')
def networks():
  generator = models.build_generator(SHAPE)
  nets = train_step.Networks(
      generator, models.latent_encoder(generator),
      models.build_discriminator(SHAPE, name='disc_normal'),
      models.build_discriminator(SHAPE, name='disc_anomaly'))
  for model in (nets.generator, nets.disc_normal, nets.disc_anomaly):
    model.set_weights(models.initial_weights(model, seed=1))
  return nets


@pytest.fixture(scope='module')
def images():
  return tf.constant(blob_images(np.random.default_rng(0), 4))


def _gradients(networks, images, group, weights):
  run = train_step.RunState()
  run.loss_weights.assign([weights.get(n, 0.0)
                           for n in config_lib.WEIGHT_NAMES])
  return train_step.group_gradients(networks, _spec(), run, images, group)


GROUP_OF = {'recon': 0, 'patch': 0, 'latent': 0, 'adv': 0, 'abc': 1,
            'anomaly_adv': 1}


@pytest.mark.parametrize('loss', sorted(GROUP_OF))
def test_each_loss_weight_scales_the_generator_gradient(networks, images,
                                                        loss):
  group = GROUP_OF[loss]
  _, once, _, _ = _gradients(networks, images, group, {loss: 0.5})
  _, twice, _, _ = _gradients(networks, images, group, {loss: 1.0})
  norm = float(tf.linalg.global_norm(once))
  assert norm > 0
  for a, b in zip(once, twice):
    np.testing.assert_allclose(2 * a.numpy(), b.numpy(), rtol=1e-4,
                               atol=1e-6 * norm)


@pytest.mark.parametrize('group', [0, 1])
def test_discriminator_loss_never_reaches_the_generator(networks, images,
                                                        group):
  # All G weights 0 except the adversarial one, which we then also zero:
  # D's loss is still computed (it depends on G(x)) but G's gradient must
  # be exactly zero, while D's is not.
  adversarial = 'adv' if group == 0 else 'anomaly_adv'
  vector, gen_grads, disc_grads, _ = _gradients(networks, images, group,
                                                {adversarial: 0.0})
  disc_name = 'd_normal' if group == 0 else 'd_anomaly'
  assert float(vector[train_step.REPORTED_NAMES.index(disc_name)]) > 0
  assert all(not np.any(g.numpy()) for g in gen_grads)
  assert float(tf.linalg.global_norm(disc_grads)) > 0


@pytest.mark.slow
def test_group_draws_follow_normal_group_prob():
  run = train_step.RunState()
  run.seed.assign(7)
  run.normal_prob.assign(0.3)
  draws = []
  for step in range(2000):
    run.step.assign(step)
    draws.append(bool(train_step.draw_group(run)[1]))
  # 2000 Bernoulli(0.3) draws: SD 0.010; 0.04 is four SDs.
  assert abs(np.mean(draws) - 0.3) < 0.04


@pytest.mark.slow
def test_proportional_schedule_follows_the_group_sizes():
  rng = np.random.default_rng(0)
  normal, anomaly = blob_images(rng, 30), blob_images(rng, 10)
  config = _config(batch_size=1, epochs=10, group_schedule='proportional',
                   augment='none')
  trainer = Trainer(config, SHAPE, 'digits')
  trainer.fit(normal, anomaly)
  drawn = trainer.run_state.group_batches.numpy()
  assert drawn.sum() == 400
  # P(normal) = 30 / 40; 400 draws: SD 0.022, bound at four SDs.
  assert abs(drawn[0] / 400 - 0.75) < 0.09


def test_sampling_walks_a_permutation_without_repeats():
  # Each image is a constant equal to its index, so a batch names its images.
  images = tf.constant(np.arange(24, dtype=np.float32).reshape(24, 1, 1, 1) *
                       np.ones((1,) + SHAPE, np.float32))
  spec = _spec(batch_size=8, augmentation='none')
  run = train_step.RunState()
  run.seed.assign(5)
  passes = []
  for _ in range(2):
    seen = []
    for _ in range(3):  # one pass: 24 images / batch 8
      batch = train_step.next_batch(images, 0, spec, run,
                                    tf.constant([5, 0], tf.int64))
      seen += batch.numpy()[:, 0, 0, 0].astype(int).tolist()
      run.group_batches.assign_add([1, 0])  # what a step does after it
    assert sorted(seen) == list(range(24))
    passes.append(seen)
  assert passes[0] != passes[1]  # each pass is reshuffled


def test_a_non_finite_step_changes_nothing(networks):
  spec = _spec()
  optimizers = train_step.Optimizers(*(
      Adam(m.trainable_variables, 1e-3, 0.9, 0.999, 1e-8,
                      name=f'adam_{i}')
      for i, m in enumerate((networks.generator, networks.disc_normal,
                             networks.disc_anomaly))))
  run = train_step.RunState()
  run.loss_weights.assign([1.0] * len(config_lib.WEIGHT_NAMES))
  run.normal_prob.assign(1.0)
  bad = np.full((8,) + SHAPE, np.nan, np.float32)
  before = [w.copy() for w in networks.generator.get_weights()]
  vector, finite, _ = train_step.train_step(
      networks, optimizers, spec, run, tf.constant(bad), tf.constant(bad))
  assert not bool(finite) and not np.all(np.isfinite(vector.numpy()))
  assert int(run.step.numpy()) == 0
  assert run.group_batches.numpy().tolist() == [0, 0]
  assert int(optimizers.generator.iterations.numpy()) == 0
  for a, b in zip(before, networks.generator.get_weights()):
    np.testing.assert_array_equal(a, b)


def _latent_gradients(networks, images, latent_target):
  run = train_step.RunState()
  run.loss_weights.assign([1.0 if n == 'latent' else 0.0
                           for n in config_lib.WEIGHT_NAMES])
  spec = _spec(latent_target=latent_target)
  return train_step.group_gradients(networks, spec, run, images, 0)[1]


def test_a_stopped_latent_target_trains_only_the_reconstruction_side(
    networks, images):
  joint = _latent_gradients(networks, images, 'joint')
  stopped = _latent_gradients(networks, images, 'stop_gradient')
  # By hand: the gradient of |sg(G_E(x)) - G_E(G(x))|.
  variables = networks.generator.trainable_variables
  with tf.GradientTape() as tape:
    reconstructions, latent = networks.generator(images, training=True)
    loss = tf.reduce_mean(tf.abs(tf.stop_gradient(latent) - networks.encoder(
        reconstructions, training=True)))
  expected = tape.gradient(loss, variables)
  norm = float(tf.linalg.global_norm(expected))
  for got, want in zip(stopped, expected):
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-6 * norm)
  # The joint reading also pulls G_E(x) towards G_E(G(x)): not the same.
  assert float(tf.linalg.global_norm(
      [a - b for a, b in zip(joint, stopped)])) > 1e-3 * norm


@pytest.mark.slow
@pytest.mark.parametrize('reading', ['shared', 'per_group'])
def test_generator_optimizers_shared_or_one_per_group(reading):
  rng = np.random.default_rng(0)
  config = _config(batch_size=2, epochs=2, generator_optimizers=reading,
                   augment='none')
  trainer = Trainer(config, SHAPE, 'digits')
  trainer.fit(blob_images(rng, 8), blob_images(rng, 8))
  normal_steps, anomaly_steps = trainer.run_state.group_batches.numpy()
  assert normal_steps > 0 and anomaly_steps > 0
  optimizers = trainer.optimizers
  if reading == 'shared':
    assert optimizers.generator_anomaly is None
    assert optimizers.generator.iterations.numpy() == (
        normal_steps + anomaly_steps)
  else:
    assert optimizers.generator.iterations.numpy() == normal_steps
    assert optimizers.generator_anomaly.iterations.numpy() == anomaly_steps
    assert 'gen_anomaly_optimizer' in trainer.checkpoint._trackable_children()


@pytest.mark.slow
def test_extra_discriminator_steps_update_only_the_discriminator():
  rng = np.random.default_rng(0)
  normal, anomaly = blob_images(rng, 8), blob_images(rng, 8)
  counts = {}
  for disc_steps in (1, 3):
    trainer = Trainer(_config(batch_size=2, epochs=1, disc_steps=disc_steps,
                              augment='none'), SHAPE, 'digits')
    trainer.fit(normal, anomaly)
    optimizers = trainer.optimizers
    counts[disc_steps] = (int(optimizers.generator.iterations.numpy()),
                          int(optimizers.disc_normal.iterations.numpy()) +
                          int(optimizers.disc_anomaly.iterations.numpy()))
  # 8 steps either way; with 3 D steps per G step D is updated 3x as often.
  assert counts[1] == (8, 8)
  assert counts[3] == (8, 24)


@pytest.mark.slow
def test_a_step_budget_stretches_epochs_and_the_learning_rate_schedule():
  rng = np.random.default_rng(0)
  config = _config(batch_size=4, epochs=2, lr_decay_epochs=1, min_steps=20,
                   augment='none')
  trainer = Trainer(config, SHAPE, 'digits')
  result = trainer.fit(blob_images(rng, 8), blob_images(rng, 8))
  # 4 steps/epoch x 2 epochs = 8 < 20: factor 3, so 6 epochs, 24 steps,
  # and the learning rate halves every 3 epochs instead of every one.
  assert (result.steps, result.epochs) == (24, 6)
  assert [trainer.learning_rate_at(e) for e in (0, 2, 3, 5)] == [
      1e-3, 1e-3, 5e-4, 5e-4]


def test_a_step_cap_cuts_epochs_and_the_learning_rate_schedule():
  rng = np.random.default_rng(0)
  config = _config(batch_size=4, epochs=10, lr_decay_epochs=4, max_steps=12,
                   augment='none')
  trainer = Trainer(config, SHAPE, 'digits')
  result = trainer.fit(blob_images(rng, 8), blob_images(rng, 8))
  # 4 steps/epoch x 10 epochs = 40 > 12: 3 epochs, the decay every
  # round(4 x 3 / 10) = 1 epoch.
  assert (result.steps, result.epochs) == (12, 3)
  assert [trainer.learning_rate_at(e) for e in (0, 1, 2)] == [
      1e-3, 5e-4, 2.5e-4]
  assert 'cut to fit --max_steps=12' in trainer.describe()


def test_a_detached_patch_loss_reports_its_value_but_adds_no_gradient(
    networks, images):
  def run(detach, weights):
    state = train_step.RunState()
    state.loss_weights.assign([weights.get(n, 0.0)
                               for n in config_lib.WEIGHT_NAMES])
    spec = _spec(losses_on=('recon', 'patch'), detach_patch_loss=detach)
    return train_step.group_gradients(networks, spec, state, images,
                                      train_step.NORMAL_GROUP)

  recon_only = run(False, {'recon': 1.0})[1]
  attached_vector, attached, _, _ = run(False, {'recon': 1.0, 'patch': 1.0})
  detached_vector, detached, _, _ = run(True, {'recon': 1.0, 'patch': 1.0})
  patch = train_step.REPORTED_NAMES.index('patch')
  assert float(attached_vector[patch]) > 0
  assert float(detached_vector[patch]) == pytest.approx(
      float(attached_vector[patch]))
  for a, b in zip(detached, recon_only):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-8)
  assert max(float(tf.reduce_max(tf.abs(a - b)))
             for a, b in zip(attached, recon_only)) > 1e-6


def test_bce_discriminators_train_on_the_bce_loss(networks, images):
  state = train_step.RunState()
  state.loss_weights.assign([1.0 if n in ('recon', 'adv') else 0.0
                             for n in config_lib.WEIGHT_NAMES])
  spec = _spec(losses_on=('recon', 'adv'), disc_loss='bce')
  vector, _, disc_grads, _ = train_step.group_gradients(
      networks, spec, state, images, train_step.NORMAL_GROUP)
  real = networks.disc_normal(images, training=True)
  fake = networks.disc_normal(networks.generator(images, training=True)[0],
                              training=True)
  names = train_step.REPORTED_NAMES
  assert float(vector[names.index('d_normal')]) == pytest.approx(
      float(losses.bce_discriminator_loss(real, fake)), rel=1e-5)
  assert float(vector[names.index('adv')]) == pytest.approx(
      float(losses.bce_generator_loss(fake, 1.0)), rel=1e-5)
  assert all(np.all(np.isfinite(g.numpy())) for g in disc_grads)


def test_without_decay_the_learning_rate_stays_constant():
  config = _config(epochs=10, lr_decay_epochs=2, lr_decay_factor=1.0)
  trainer = Trainer(config, SHAPE, 'digits')
  assert {trainer.learning_rate_at(epoch) for epoch in range(10)} == {1e-3}
  decaying = _config(epochs=10, lr_decay_epochs=2)
  trainer.fit(blob_images(np.random.default_rng(0), 8),
              blob_images(np.random.default_rng(1), 8), config=decaying)
  assert trainer.learning_rate_at(4) == pytest.approx(1e-3 * 0.5**2)
