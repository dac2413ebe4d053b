"""Optimizers that update parameters from their ``.grad``."""
