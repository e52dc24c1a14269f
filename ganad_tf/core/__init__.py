"""The paper's method: networks, losses, the training step, scoring.

  config.py      CoreConfig (model, loss weights, schedule) and EvalConfig;
                 the one list of loss names; run fingerprints
  models.py      G (U-Net autoencoder), D (PatchGAN), the classifier
                 baseline and the encoder head: builders
  losses.py      the paper's losses as pure functions
  train_step.py  one training step, top to bottom, and the in-graph loop
  optimizer.py   Adam as one fused kernel per variable
  trainer.py     networks + optimizers + the loop: fit, resume, summaries
  checkpoints.py restore with fallback past a corrupt checkpoint
  scoring.py     reconstruct and score: the anomaly score and error map
  metrics.py     AUROC, thresholds, precision / recall / F1
  distribute.py  tf.distribute strategies by name
  runtime.py     process-wide switches, for entry points only
"""
