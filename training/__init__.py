"""Training half: MNIST data, camera-domain augmentation, models, training and evaluation."""
