"""torchvision.models' names: every constructor and class of minicnn.models (the zoo's
constructors take `weights=None` / `pretrained=False` as torchvision's and timm's do)."""
from .. import models as _models
from ..models import *  # noqa: F401,F403  (this module only names minicnn.models' contents)

__all__ = list(_models.__all__)
