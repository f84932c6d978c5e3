"""Model zoo: classic architectures assembled from minicnn.nn modules, one family a file, with
torchvision's (or timm's, or open_clip's) constructor names, arguments and state_dict keys."""
import inspect as _inspect

from .lenet import LeNet5, lenet5
from .inception_outputs import GoogLeNetOutputs, InceptionOutputs, inception_loss
from .googlenet import GoogLeNet, googlenet
from .inception_v2 import BNInception, inception_v2
from .inception_v3 import Inception3, inception_v3
from .inception_v4 import InceptionV4, inception_v4
from .inception_resnet import InceptionResNet, inception_resnet_v1, inception_resnet_v2
from .densenet import DenseNet, densenet121, densenet161, densenet169, densenet201
from .resnet import (BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50, resnet101,
                     resnet152, resnext50_32x4d, resnext101_32x8d)
from .resnet_cifar import CifarResNet, resnet_cifar
from .resnetv2 import ResNetV2, resnetv2_50
from .senet import senet154, seresnet50
from .alexnet import AlexNet, alexnet
from .zfnet import ZFNet, zfnet
from .vgg import (VGG, FullyConvolutionalVGG, vgg11, vgg11_bn, vgg11_lrn, vgg13, vgg13_bn, vgg16,
                  vgg16_bn, vgg16_c, vgg19, vgg19_bn)
from .nin import NiN, nin
from .mobilenet import MobileNetV1, MobileNetV2, mobilenet_v1, mobilenet_v2
from .vit import VisionTransformer, vit_b_16, vit_b_32
from .deit import (DeiT, VisionTransformerDistilled, deit_base_distilled_patch16_224,
                   deit_base_patch16_224, deit_small_distilled_patch16_224,
                   deit_small_patch16_224, deit_tiny_distilled_patch16_224,
                   deit_tiny_patch16_224, vit_tiny_patch16_224)
from .position_embedding import resize_pos_embed
from .distillation import hard_distillation_loss, soft_distillation_loss
from .clip import CLIP, ClipLoss, clip_loss, clip_rn50, clip_vit_b_32
from .clip_classifier import CLIPImageClassifier
from .clip_tokenizer import SimpleTokenizer
from .zero_shot import (zero_shot_accuracy, zero_shot_classifier, zero_shot_logits,
                        zero_shot_probs)
from .clip_tiny import clip_tiny
from .clip_contrastive import ContrastiveCLIP, ContrastiveOutput, ImageTextBatch, contrastive_loss

__all__ = sorted(name for name, value in globals().items()
                 if not name.startswith("_") and not _inspect.ismodule(value))
