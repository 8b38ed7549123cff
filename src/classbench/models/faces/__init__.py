"""Face-recognition models, registered lazily (importing this package imports neither torch nor sklearn).

- ``eigenfaces``: PCA + nearest neighbour (Turk & Pentland 1991), optionally without the leading
  components, which mostly encode lighting (Belhumeur et al. 1997).
- ``fisherfaces``: PCA to N - c dimensions, then LDA (optionally shrunk), then nearest neighbour
  (Belhumeur, Hespanha & Kriegman 1997).
- ``face-select``: Fisherfaces on raw pixels, LBP histograms and gradient-orientation histograms; which
  of them to fuse is chosen inside ``fit`` by an inner cross-validation on the training faces only.
- ``face-cnn``: a small batch-normalised CNN with shift / rotation / scale / brightness / contrast
  augmentation, sized for datasets of a few hundred images.
"""

from __future__ import annotations

from .. import MODELS

_V = ("image",)

MODELS.register_lazy("eigenfaces", "classbench.models.faces.subspace:Eigenfaces", family="sklearn", modalities=_V,
                     summary="Eigenfaces: PCA (optionally minus the leading, lighting-heavy components) + 1-NN")
MODELS.register_lazy("fisherfaces", "classbench.models.faces.subspace:Fisherfaces", family="sklearn",
                     modalities=_V, summary="Fisherfaces: PCA to N-c dims, LDA (optional shrinkage), 1-NN")
MODELS.register_lazy("face-select", "classbench.models.faces.select:FaceSelect", family="sklearn",
                     modalities=_V, summary="Fisherfaces on pixels/LBP/HOG, the descriptors fused chosen by "
                                            "inner CV on the training faces")
MODELS.register_lazy("face-cnn", "classbench.models.faces.cnn:FaceCNN", family="torch", modalities=_V,
                     summary="Small BN CNN with shift/rotation/scale/brightness augmentation, for ~100s of images")
