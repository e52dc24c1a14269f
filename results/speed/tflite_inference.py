"""Inference lever: the generator through TFLite/LiteRT (XNNPACK) vs TF.

Usage: PLAIN_NORM=1 PYTHONPATH=. python results/speed/tflite_inference.py THREADS 32x32x1
PLAIN_NORM=1 swaps the instance norm's fused-batch-norm kernel for
tf.nn.moments, which TFLite's builtin ops can express (without it the
converter needs the Flex delegate). Untrained weights, batch 500.
"""
import time, sys, numpy as np, tensorflow as tf
from ganad_tf.core import models
def _call(self, inputs):
  mean, var = tf.nn.moments(inputs, axes=[1, 2], keepdims=True)
  return (inputs - mean) * tf.math.rsqrt(var + self.epsilon) * self.gamma + self.beta
import os
if os.environ.get('PLAIN_NORM'): models.InstanceNormalization.call = _call
threads=int(sys.argv[1]); shape=tuple(int(v) for v in sys.argv[2].split('x'))
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(1)
g=models.build_generator(shape)
B=500
x=np.random.RandomState(0).uniform(-1,1,(B,)+shape).astype(np.float32)
f=tf.function(lambda t: g(t, training=False)[0], input_signature=[tf.TensorSpec((B,)+shape, tf.float32)])
cf=f.get_concrete_function()
ref=f(x).numpy()
def timeit(fn, n=20):
  fn(); t=time.perf_counter()
  for _ in range(n): fn()
  return B*n/(time.perf_counter()-t)
tf_rate=timeit(lambda: f(x).numpy())
conv=tf.lite.TFLiteConverter.from_concrete_functions([cf], g)
if not os.environ.get('PLAIN_NORM'): conv.target_spec.supported_ops=[tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
blob=conv.convert()
interp=tf.lite.Interpreter(model_content=blob, num_threads=threads)
interp.allocate_tensors()
i=interp.get_input_details()[0]['index']; o=interp.get_output_details()[0]['index']
def run():
  interp.set_tensor(i,x); interp.invoke(); return interp.get_tensor(o)
out=run()
print('maxdiff', np.abs(out-ref).max())
lite_rate=timeit(run)
print(f'threads={threads} {sys.argv[2]} tf {tf_rate:.0f} img/s tflite {lite_rate:.0f} img/s ratio {lite_rate/tf_rate:.2f}')
