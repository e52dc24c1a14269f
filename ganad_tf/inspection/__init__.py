"""Inspection: train on a folder of product photos, score, explain, export.

  config.py          InspectionConfig: the core config plus folder sampling
  settings.py        DetectorSettings: reading, tiling, training tiles
  tiles.py           cutting photos into tiles and stitching maps back
  tile_selection.py  which tiles are trained on as normal and as defects
  inference.py       the one-graph inference module (scale, tile, score)
  calibration.py     the decision threshold on validation images
  evaluation.py      image-, tile- and pixel-level AUROC
  persistence.py     save, load and SavedModel export
  overlays.py        heat-map overlays on the photos
  workflow.py        train_folder and predict_files (the two commands)
  detector.py        Detector: the object that ties these together
  comparison.py      the Table 4 of a data set's detectors (GAN, baselines)
"""
