"""Numbers the paper claims, quoted where tables and figures compare to them.

Only numbers stated in the paper's text and tables are here: the parameter
counts of Sec. 3.3, the AUROC column of Table 6 and the speed points of
Fig. 2. The Sec. 4.3 benchmark mean and SD of each dataset are in its entry
of ganad_tf.data.registry (`paper_auroc`). The per-class Table 5 is garbled
in the available copy and is not quoted.
"""

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
