"""Classifier evaluation on real photos: accuracy of torch and of every export, agreement between them."""

from .evaluate import Result, Row, evaluate, render
from .photos import Photos, imagenet_wnids, scan

__all__ = ["Photos", "Result", "Row", "evaluate", "imagenet_wnids", "render", "scan"]
