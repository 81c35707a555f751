"""Training code for the PneumoScan CNN (TensorFlow/Keras; not part of the app)."""
