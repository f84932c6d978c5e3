"""`clip_tiny`: a CLIP small enough to learn DigitCaptions contrastively on two CPU cores in
minutes, with the same towers as open_clip's models (clip.py) at a fraction of the width.

Image tower: a ViT of 8×8 patches (a 6×6 grid at the native 48×48), 2 pre-norm blocks of
width 64 with 2 heads. Text tower: 2 causal blocks of width 64 with 4 heads over the caption
vocabulary shipped in caption_bpe.py (553 ids: the byte symbols, one merge per caption word
piece, the two special tokens) and a context of 24 ids. Both project into a 64-d embedding.
"""
from .caption_bpe import CAPTION_CONTEXT_LENGTH, caption_tokenizer
from .clip import CLIP, CLIPTextCfg, CLIPVisionCfg, _check_configs
from .weights import accepts_weights_keywords

__all__ = ["clip_tiny"]

EMBED_DIM = 64
NATIVE_SIZE = 48
PATCH_SIZE = 8


@accepts_weights_keywords
def clip_tiny(image_size=NATIVE_SIZE, quick_gelu=False):
    """A tiny CLIP for DigitCaptions: ViT image tower (8×8 patches, 2 blocks of width 64),
    2-block text transformer over the shipped caption vocabulary (`caption_tokenizer()`),
    64-d embedding; 260,161 parameters at 48×48."""
    vision = CLIPVisionCfg(layers=2, width=64, head_width=32, patch_size=PATCH_SIZE,
                           image_size=image_size)
    text = CLIPTextCfg(context_length=CAPTION_CONTEXT_LENGTH,
                       vocab_size=caption_tokenizer().vocab_size, width=64, heads=4, layers=2)
    _check_configs("clip_tiny", EMBED_DIM, vision, text, image_size_arg="image_size")
    return CLIP(EMBED_DIM, vision, text, quick_gelu=quick_gelu)
