"""Keras functional builders for the generator (U-Net AE) and discriminator.

Layer widths follow the paper's per-layer parameter counts (Sec. 3.3). On a
32x32x3 input with base_channels=8:

  generator  encoder  392 + 2,080 + 8,256 + 32,896
             decoder  32,832 + 16,416 + 4,112 + 771          = 97,755
  discrim.            392 + 2,080 + 8,256 + 32,896 + 32,768  = 76,392

which are the paper's 97.75K and 76.39K to the last digit. The "+C" in every
inner layer (2,080 = 4*4*8*16 + 2*16) is read as a bias-free convolution
followed by a normalisation with a per-channel scale and offset; the last
discriminator layer (32.77K = 4*4*64*32) as a bias-free 64->32 convolution
whose 32 output channels are the patch score maps. Both readings match the
counts exactly; `norm='none'` keeps convolution biases instead (-0.2%).
"""

import zlib
from typing import List, Sequence, Tuple

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from ganad_tf.errors import ConfigError

KERNEL_SIZE = 4
LEAKY_SLOPE = 0.2
NUM_DOWNSAMPLINGS = 4  # the generator halves the size four times


@keras.saving.register_keras_serializable(package='ganad_tf')
class InstanceNormalization(layers.Layer):
  """Normalises each channel of each image over its spatial positions.

  Identical in training and inference and independent of what else is in
  the batch. Computed as one fused batch-norm kernel over the batch's
  images laid side by side as channels (a batch of one needs no
  rearranging): 2 ops forward and 1 backward instead of about 20, which
  matters for a network this small.
  """

  def __init__(self, epsilon: float = 1e-5, **kwargs):
    super().__init__(**kwargs)
    self.epsilon = epsilon

  def build(self, input_shape):
    channels = input_shape[-1]
    self.gamma = self.add_weight(shape=(channels,), initializer='ones',
                                 name='gamma')
    self.beta = self.add_weight(shape=(channels,), initializer='zeros',
                                name='beta')

  def call(self, inputs):
    gamma = tf.convert_to_tensor(self.gamma)
    beta = tf.convert_to_tensor(self.beta)
    if inputs.shape[0] == 1:
      outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
          inputs, gamma, beta, epsilon=self.epsilon, is_training=True)
      return outputs
    shape = tf.shape(inputs)
    batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    # (B, H, W, C) -> (1, H, W, B*C): per-channel batch statistics are then
    # per-image, per-channel statistics.
    side_by_side = tf.reshape(tf.transpose(inputs, [1, 2, 0, 3]),
                              [1, height, width, batch * channels])
    outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
        side_by_side, tf.tile(gamma, [batch]), tf.tile(beta, [batch]),
        epsilon=self.epsilon, is_training=True)
    outputs = tf.transpose(tf.reshape(outputs, [height, width, batch,
                                                channels]), [2, 0, 1, 3])
    return tf.ensure_shape(outputs, inputs.shape)

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    return {**super().get_config(), 'epsilon': self.epsilon}


def _normalization(norm: str, name: str) -> layers.Layer:
  if norm == 'instance':
    return InstanceNormalization(epsilon=1e-5, name=name)
  if norm == 'batch':
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
  raise ConfigError(f'Unknown norm {norm!r}.')


def _conv_block(x, filters: int, strides: int, norm: str, name: str,
                transpose: bool = False, activation: str = 'leaky'):
  """Conv (or transposed conv) -> optional norm -> activation."""
  use_norm = norm != 'none'
  conv_class = layers.Conv2DTranspose if transpose else layers.Conv2D
  x = conv_class(filters, KERNEL_SIZE, strides=strides, padding='same',
                 use_bias=not use_norm, name=f'{name}_conv')(x)
  if use_norm:
    x = _normalization(norm, f'{name}_norm')(x)
  if activation == 'leaky':
    return layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f'{name}_act')(x)
  return layers.ReLU(name=f'{name}_act')(x)


def check_input_shape(input_shape: Sequence[int]) -> Tuple[int, int, int]:
  """Validates an (H, W, C) input shape for the networks.

  Raises:
    ConfigError: naming the bad dimension and the fix.
  """
  if len(input_shape) != 3:
    raise ConfigError(f'Input shape must be (height, width, channels), got '
                      f'{tuple(input_shape)}.')
  height, width, channels = (int(v) for v in input_shape)
  factor = 2**NUM_DOWNSAMPLINGS
  if height < factor or width < factor or height % factor or width % factor:
    raise ConfigError(
        f'Image size {height}x{width} is not a multiple of {factor}: the '
        f'U-Net halves it {NUM_DOWNSAMPLINGS} times and concatenates skip '
        'connections. Resize to e.g. 32x32 or 128x128 (--image_size).')
  if channels < 1:
    raise ConfigError(f'Images need at least one channel, got {channels}.')
  return height, width, channels


def build_encoder(input_shape: Sequence[int], base_channels: int = 8,
                  norm: str = 'instance', name: str = 'encoder') -> keras.Model:
  """Builds G_E: four 4x4 stride-2 convolutions.

  Args:
    input_shape: (H, W, C) with H and W multiples of 16.
    base_channels: width of the first layer; each next layer doubles it.
    norm: 'instance', 'batch' or 'none' (the first layer is never
      normalised, as in pix2pix).
    name: model name.

  Returns:
    A model mapping images to a list of the four feature maps, outermost
    first; the last one, (H/16, W/16, 8*base_channels), is the latent code.
  """
  check_input_shape(input_shape)
  images = keras.Input(shape=tuple(input_shape), name='images')
  features = []
  x = images
  for depth in range(NUM_DOWNSAMPLINGS):
    x = _conv_block(x, base_channels * 2**depth, strides=2,
                    norm='none' if depth == 0 else norm, name=f'enc{depth + 1}')
    features.append(x)
  return keras.Model(images, features, name=name)


def build_generator(input_shape: Sequence[int], base_channels: int = 8,
                    norm: str = 'instance',
                    name: str = 'generator') -> keras.Model:
  """Builds the U-Net generator G.

  Four transposed convolutions mirror the encoder; each decoder output is
  concatenated with the encoder feature map of the same size.

  Returns:
    A model mapping images in [-1, 1] to (reconstruction in [-1, 1], latent
    code). Its encoder is the nested model `generator.get_layer('encoder')`;
    see `latent_encoder`.
  """
  _, _, channels = check_input_shape(input_shape)
  encoder = build_encoder(input_shape, base_channels, norm, name='encoder')
  images = keras.Input(shape=tuple(input_shape), name='images')
  features = encoder(images)
  x = features[-1]
  for depth in reversed(range(NUM_DOWNSAMPLINGS - 1)):
    x = _conv_block(x, base_channels * 2**depth, strides=2, norm=norm,
                    name=f'dec{NUM_DOWNSAMPLINGS - 1 - depth}', transpose=True,
                    activation='relu')
    x = layers.Concatenate(name=f'skip{depth + 1}')([x, features[depth]])
  reconstruction = layers.Conv2DTranspose(
      channels, KERNEL_SIZE, strides=2, padding='same', activation='tanh',
      name=f'dec{NUM_DOWNSAMPLINGS}_conv')(x)
  return keras.Model(images, [reconstruction, features[-1]], name=name)


def latent_encoder(generator: keras.Model) -> keras.Model:
  """Returns G_E as a model mapping images to the latent code alone."""
  encoder = generator.get_layer('encoder')
  return keras.Model(encoder.inputs, encoder.outputs[-1], name='latent_encoder')


def build_discriminator(input_shape: Sequence[int], base_channels: int = 8,
                        norm: str = 'instance', final_channels: int = 32,
                        name: str = 'discriminator') -> keras.Model:
  """Builds the PatchGAN discriminator (used twice: D_normal, D_anomaly).

  Three 4x4 stride-2 convolutions, then two 4x4 stride-1 convolutions. The
  output is linear (LSGAN) and spatial: each value scores one image patch.

  Returns:
    A model mapping images to scores of shape (H/8, W/8, final_channels).
  """
  check_input_shape(input_shape)
  images = keras.Input(shape=tuple(input_shape), name='images')
  x = images
  for depth in range(3):
    x = _conv_block(x, base_channels * 2**depth, strides=2,
                    norm='none' if depth == 0 else norm, name=f'disc{depth + 1}')
  x = _conv_block(x, base_channels * 8, strides=1, norm=norm, name='disc4')
  scores = layers.Conv2D(final_channels, KERNEL_SIZE, strides=1, padding='same',
                         use_bias=False, name='disc5_conv')(x)
  return keras.Model(images, scores, name=name)


# The classifier is G's encoder at this multiple of G's widths, which gives
# it G's size: 97,789 parameters on 32x32x3 against G's 97,755.
CLASSIFIER_WIDTH_FACTOR = 1.5


def build_classifier(input_shape: Sequence[int], base_channels: int = 8,
                     name: str = 'classifier') -> keras.Model:
  """Builds the supervised baseline: a CNN of G's size with one logit.

  G's encoder layout (four 4x4 stride-2 convolutions, widths doubling) at
  1.5x G's widths, with batch normalisation (what a user's first CNN has;
  instance norm would remove the per-image contrast a classifier needs),
  then global average pooling and a dense logit for "anomaly".

  On 32x32x3 with base_channels=8: 588 + 4,656 + 18,528 + 73,920 + 97 =
  97,789 trainable parameters.
  """
  check_input_shape(input_shape)
  width = max(1, int(round(base_channels * CLASSIFIER_WIDTH_FACTOR)))
  images = keras.Input(shape=tuple(input_shape), name='images')
  x = images
  for depth in range(NUM_DOWNSAMPLINGS):
    x = _conv_block(x, width * 2**depth, strides=2,
                    norm='none' if depth == 0 else 'batch',
                    name=f'cls{depth + 1}')
  x = layers.GlobalAveragePooling2D(name='pool')(x)
  logit = layers.Dense(1, name='logit')(x)
  return keras.Model(images, logit, name=name)


def build_encoder_head(latent_shape: Sequence[int], base_channels: int = 8,
                       pool: str = 'average',
                       name: str = 'encoder_head') -> keras.Model:
  """Builds the classifier head on G's latent code (--encoder_head).

  The authors' later code puts four stride-1 4x4 convolutions with batch
  norm on the latent code, then global pooling and a dense layer; here one
  such convolution at the latent's width, without normalisation (each
  training batch is all-normal or all-anomaly, so batch statistics would
  hide the very difference the head learns), then global average pooling
  and a dense logit for "anomaly". pool='flatten' (ours) feeds every
  position's features to the logit instead, so where a feature sits counts.

  On G's 8*base_channels = 64 latent channels: 65,600 + 65 = 65,665
  trainable parameters whatever the image size ('average'); 65,600 +
  H*W*64 + 1 on an HxW latent grid ('flatten').
  """
  if pool not in ('average', 'flatten'):
    raise ConfigError(f'Unknown encoder head pooling {pool!r}; use average '
                      'or flatten.')
  latent = keras.Input(shape=tuple(latent_shape), name='latent')
  x = _conv_block(latent, base_channels * 2**(NUM_DOWNSAMPLINGS - 1),
                  strides=1, norm='none', name='head1')
  x = (layers.GlobalAveragePooling2D(name='head_pool')(x) if pool == 'average'
       else layers.Flatten(name='head_flatten')(x))
  logit = layers.Dense(1, name='head_logit')(x)
  return keras.Model(latent, logit, name=name)


def generator_with_head(generator: keras.Model,
                        head: keras.Model) -> keras.Model:
  """G and its encoder head as one scoring model: images -> (reconstruction,
  latent, head logit). The weights are G's and the head's (shared)."""
  images = keras.Input(shape=generator.input_shape[1:], name='images')
  reconstruction, latent = generator(images)
  return keras.Model(images, [reconstruction, latent, head(latent)],
                     name=f'{generator.name}_with_head')


def copy_model(model: keras.Model) -> keras.Model:
  """A new model with the same layers and weights (not shared)."""
  copy = keras.models.clone_model(model)
  copy.set_weights(model.get_weights())
  return copy


def count_trainable_params(model: keras.Model) -> int:
  """Trainable parameters, the quantity papers report."""
  return int(sum(keras.ops.size(w) for w in model.trainable_weights))


# init='normal': the standard deviation of kernels (DCGAN, pix2pix and the
# authors' later code).
NORMAL_INIT_STDDEV = 0.02


def initial_weights(model: keras.Model, seed: int,
                    init: str = 'glorot') -> List[np.ndarray]:
  """Fresh weights for `model` drawn from `seed` alone (no global state).

  init='glorot': the TF1 and Keras defaults: Glorot-uniform kernels, zero
  biases and offsets, unit scales (and unit moving variances for batch
  norm). init='normal': kernels N(0, NORMAL_INIT_STDDEV), the rest the
  same. Each model draws from its own generator, seeded with (seed, its
  name), so the same seed gives the same weights in any process and in any
  build order.
  """
  if init not in ('glorot', 'normal'):
    raise ConfigError(f'Unknown init {init!r}; choose glorot or normal.')
  rng = np.random.default_rng([seed, zlib.crc32(model.name.encode())])
  values = []
  for weight in model.weights:
    shape = tuple(weight.shape)
    name = weight.path.rsplit('/', 1)[-1]
    if name == 'kernel':
      receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
      fan_in, fan_out = receptive * shape[-2], receptive * shape[-1]
      if init == 'normal':
        values.append((NORMAL_INIT_STDDEV *
                       rng.standard_normal(shape)).astype(np.float32))
        continue
      limit = np.sqrt(6.0 / (fan_in + fan_out))
      values.append(rng.uniform(-limit, limit, shape).astype(np.float32))
    elif name in ('gamma', 'moving_variance'):
      values.append(np.ones(shape, np.float32))
    else:
      values.append(np.zeros(shape, np.float32))
  return values
