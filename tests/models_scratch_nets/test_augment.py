"""The scratch nets' NumPy augmentation equals the torch wrapper's: the same random draws in the same
order, and affine resampling equal to ``F.grid_sample(F.affine_grid(...))`` to float32 rounding."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.models.scratch import augment

ATOL = 1e-5  # pixel values in [0, 1]; observed ~3e-6 (theta and the base grid differ from torch's in the last bit)


@pytest.mark.parametrize("shape", [(32, 1, 28, 28), (6, 3, 16, 20), (5, 2, 15, 14)])
def test_random_affine_is_the_torch_wrappers(torch, shape):
    from classbench.models.torch.functional import random_affine

    x = np.random.default_rng(0).random(shape).astype(np.float32)
    mine_rng, their_rng = np.random.default_rng(5), np.random.default_rng(5)
    drawn = augment.draw("affine", mine_rng, len(x), augment.augment_shift(shape[2:]))
    mine = augment.apply("affine", x, drawn, 1)
    theirs = random_affine(torch.from_numpy(x), their_rng).numpy()
    assert mine.shape == x.shape and mine.dtype == np.float32
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=ATOL)
    assert np.abs(mine - x).max() > 0.1, "the images must actually move"
    assert mine_rng.random() == their_rng.random(), "the same number of draws: the streams stay in step"
    halves = np.concatenate([augment.apply("affine", x[:3], drawn[:3], 1), augment.apply("affine", x[3:], drawn[3:], 1)])
    np.testing.assert_array_equal(halves, mine)  # a shard's rows distort alone exactly as in the whole batch


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_affine_sampling_equals_grid_sample_outside_the_image_too(torch, dtype):
    """Strong zoom-out, shear, flips and large shifts: many corners fall outside the image (zeros)."""
    F = torch.nn.functional
    rng = np.random.default_rng(1)
    x = rng.random((4, 2, 10, 13)).astype(dtype)
    theta = np.array([[[2.0, 0.3, 0.5], [-0.2, 1.7, -0.4]], [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
                      [[0.5, -0.4, 1.3], [0.4, 0.5, 0.9]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=dtype)
    t = torch.from_numpy(theta)
    grid = F.affine_grid(t, list(x.shape), align_corners=False)
    ref = F.grid_sample(torch.from_numpy(x), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    mine = augment.affine_sample(x, theta)
    assert mine.dtype == dtype
    np.testing.assert_allclose(mine, ref.numpy(), rtol=0, atol=ATOL if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(mine[3], x[3], atol=1e-6)  # the identity map reads every pixel centre
    np.testing.assert_allclose(mine[1], x[1, :, :, ::-1], atol=1e-6)  # x -> -x mirrors the columns


def test_augmentation_kind_follows_the_torch_loop():
    img28, img8 = np.zeros((2, 1, 28, 28)), np.zeros((2, 1, 8, 8))
    assert augment.augmentation(True, img28) == ("shift", 2) == augment.augmentation("shift", img28)
    assert augment.augmentation("affine", img28) == ("affine", 2)
    for off in (False, "none"):
        assert augment.augmentation(off, img28) == (None, 0)
    assert augment.augmentation("affine", img8) == (None, 0)  # images under 14 px are never distorted
    assert augment.augmentation(True, np.zeros((2, 784))) == (None, 0)
    rng = np.random.default_rng(0)
    assert augment.draw(None, rng, 5, 2) is None and rng.random() == np.random.default_rng(0).random()
