"""Data: benchmark datasets, folders of photos, sampling, augmentation.

  registry.py     one entry per benchmark dataset (shape, classes, names,
                  the paper's augmentation and AUROC)
  datasets.py     load_dataset and preprocess_images (the public API)
  local_files.py  readers for IDX and CIFAR pickle files and archives
  tfds_loader.py  the tensorflow_datasets path
  folder_data.py  a folder of photos: normal/, defect kinds, masks
  image_files.py  finding and decoding single image files
  sizes.py        image sizes as flags spell them (WIDTHxHEIGHT)
  checks.py       the one home of image validation
  splits.py       the validation split and per-class subsets
  sampling.py     k-means balanced sampling (paper Sec. 3.5)
  augment.py      the Sec. 4.2 augmentations, batched and stateless
  synthetic/      a seeded stand-in for the paper's metal photos
"""
