"""Stacking lever: N independent 4x4/2 conv layers (G's encoder), forward and backward, one
thread: N separate tf.nn.conv2d vs one batched GEMM over patches (stacked weights).

Usage: python results/speed/stacked_models_layer.py N BATCH
"""
import sys, time, numpy as np, tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
N, B = int(sys.argv[1]), int(sys.argv[2])
layers = [(32, 1, 8), (16, 8, 16), (8, 16, 32), (4, 32, 64)]  # (H, Cin, Cout) of G's encoder

def patches(x):  # x [M, H, W, C] -> [M, H/2, W/2, 16C], 4x4 stride 2 pad 1
  x = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
  h = x.shape[1]
  cols = [x[:, i:i + h - 3:2, j:j + h - 3:2, :] for i in range(4) for j in range(4)]
  return tf.concat(cols, axis=-1)

def run(kind):
  rng = np.random.RandomState(0)
  xs, ws = [], []
  for h, ci, co in layers:
    xs.append(tf.constant(rng.randn(N * B, h, h, ci).astype(np.float32)))
    ws.append(tf.Variable(rng.randn(N, 4, 4, ci, co).astype(np.float32) * 0.1))
  @tf.function
  def step():
    total = 0.
    with tf.GradientTape() as tape:
      tape.watch(xs)
      for x, w in zip(xs, ws):
        h, ci, co = x.shape[1], x.shape[3], w.shape[-1]
        if kind == 'separate':
          ys = [tf.nn.conv2d(x[n * B:(n + 1) * B], w[n], 2, [[0, 0], [1, 1], [1, 1], [0, 0]]) for n in range(N)]
          y = tf.concat(ys, 0)
        else:
          p = tf.reshape(patches(x), [N, B * (h // 2) ** 2, 16 * ci])
          y = tf.matmul(p, tf.reshape(w, [N, 16 * ci, co]))
        total += tf.reduce_sum(tf.square(y))
    g = tape.gradient(total, xs + ws)
    return tf.add_n([tf.reduce_sum(v) for v in g])
  step()
  best = 1e9
  for _ in range(3):
    t = time.perf_counter()
    for _ in range(50): step()
    best = min(best, (time.perf_counter() - t) / 50)
  return best

a = run('separate'); b = run('stacked')
print(f'N={N} B={B}: separate {a*1e3:.2f} ms, stacked {b*1e3:.2f} ms, ratio {a/b:.2f}')
