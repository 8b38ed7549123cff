"""Text models, registered lazily: importing this package imports neither torch nor scikit-learn.

Torch networks (``nets.py``, on the shared wrapper via ``torch_base.py``) and linear baselines on
n-gram features (``linear.py``). All take raw texts (an object array of str) and tokenise inside ``fit``.
"""

from __future__ import annotations

from .. import MODELS

_T = ("text",)

for _name, _target, _family, _summary in [
    ("lstm", "nets:LSTM", "torch",
     "The notebook's LSTM: embedding 50, LSTM 32 read at the last real token, dropout 0.2, RMSprop, 5 epochs (PyTorch)"),
    ("gru", "nets:GRU", "torch",
     "The notebook's GRU: embedding 50, GRU 32 read at the last real token, dropout 0.2, RMSprop, 5 epochs (PyTorch)"),
    ("embedding-bag", "nets:EmbeddingBag", "torch",
     "The notebook's bag: mean of word embeddings -> dense 16 -> output (hidden=0: fastText's linear model; ngrams=2: + bigrams) (PyTorch)"),
    ("text-cnn", "nets:TextCNN", "torch",
     "1-D CNN (Kim 2014): 3/4/5-token windows x 64 maps, max over time, dropout 0.5 (PyTorch)"),
    ("tfidf-logreg", "linear:TfidfLogReg", "sklearn",
     "TF-IDF of word 1-2-grams (sublinear tf) + logistic regression"),
    ("nbsvm", "linear:NBSVM", "sklearn",
     "NBSVM (Wang & Manning 2012): NB log-count ratios on binary 1-2-grams + logistic (loss=svm: interpolated SVM)"),
    ("nbsvm3", "linear:NBSVM3", "sklearn",
     "NBSVM on binary 1-3-grams (Mesnil et al. 2015) + interpolated SVM (C 0.03, beta 0.1): IMDB's most accurate"),
]:
    _module, _cls = _target.split(":")
    MODELS.register_lazy(_name, f"{__name__}.{_module}:{_cls}", family=_family, modalities=_T, summary=_summary)
