"""ganad_tf: GAN-based anomaly detection in imbalance problems, in TF2/Keras 3.

Reference implementation of Kim, Jeong, Choi and Seo, "GAN-based Anomaly
Detection in Imbalance Problems" (ECCV 2020 workshops).
"""

__version__ = '0.1.0'
