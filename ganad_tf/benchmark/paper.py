"""Numbers the paper claims, quoted where tables and figures compare to them.

Only numbers stated in the paper's text are here (see NOTES.md): its
per-class Table 5 is garbled in the available copy and is not quoted.
The Sec. 4.3 benchmark AUROC of each dataset is in its entry of
ganad_tf.data.registry (`paper_auroc`).
"""

# The best earlier method the text names for each dataset (ARNet).
BEST_PRIOR_AUROC = {
    'mnist': ('ARNet', 98.3, 1.78),
    'fashion_mnist': ('ARNet', 93.9, 4.7),
    'cifar10': ('ARNet', 86.6, 5.35),
    'cifar100': ('ARNet', 78.8, 8.82),
}

# Sec. 3.3 parameter counts.
GENERATOR_PARAMS = 97_750
DISCRIMINATOR_PARAMS = 76_390

# Table 6: CIFAR-10, bird (class 2) normal. Rows as the issue tracker and
# NOTES.md read the garbled table: cumulative loss combinations.
ABLATION_AUROC = {
    1: 64.68,
    2: 85.44,
    3: 65.74,
    4: 65.93,
    5: 64.87,
    6: 64.89,
    7: 86.76,
}

# Fig. 2 / Sec. 4.3: CIFAR-10 inference speed and size, as stated in text.
# (method, AUROC %, images per second or None, inference parameters or None)
SPEED_POINTS = (
    ('the paper\'s model (paper, GTX 1080 Ti)', 90.6, 532.0, 98_000),
    ('ARNet (paper)', 86.6, 270.0, None),
    ('GeoTrans (paper)', None, None, 1_216_000),
)

# Table 4: defect dataset, AUROC % on the test split.
DEFECT_AUROC = {'100x100 patches': 99.23, '548x500 patches': 98.84}
