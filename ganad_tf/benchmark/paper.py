"""Numbers the paper claims, quoted where tables and figures compare to them.

Only numbers stated in the paper's text and tables are here: the means and
SDs of Sec. 4.3, the parameter counts of Sec. 3.3, the AUROC column of
Table 6 and the speed points of Fig. 2. The per-class Table 5 is garbled in
the available copy and is not quoted.
"""

# Sec. 4.3: mean and standard deviation of the per-class AUROC (%).
BENCHMARK_AUROC = {
    'mnist': (99.7, 0.16),
    'fashion_mnist': (98.6, 1.20),
    'cifar10': (90.6, 3.14),
    'cifar100': (87.4, 4.80),
}

# Sec. 3.3 parameter counts.
GENERATOR_PARAMS = 97_750
DISCRIMINATOR_PARAMS = 76_390

# Table 6: CIFAR-10, bird (class 2) normal; the AUROC (%) of each row. The
# table's check marks are lost in the available copy: ablation.py gives the
# two readings of which losses each row uses.
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
