"""`minicnn evaluate RUN_DIR` for a CLIP run on image–caption pairs: image→text and
text→image recall@1 and @5 over the test split's pairs, and zero-shot accuracy on
single-digit test canvases, each class named by the prompt templates of
clip_digit_captions.ZERO_SHOT_TEMPLATES and their embeddings averaged (prompt ensembling)."""
from ..models.clip_digit_captions import (ZERO_SHOT_TEMPLATES, caption_pairs, retrieval_scores,
                                          zero_shot_digit_accuracy)
from . import clip_training
from .errors import UsageError

ZERO_SHOT_IMAGES = 1000
ZERO_SHOT_SEED = 1          # canvases other than the test pairs' (seed 0)


def run(saved, args):
    if args.dataset is not None and args.dataset != clip_training.DATASET:
        raise UsageError(f"--dataset {args.dataset}: the run trains a CLIP model on "
                         f"{clip_training.DATASET}, which is what it is evaluated on")
    clip = saved.model.clip
    _, _, test_pairs = clip_training.reopen(saved.record)
    recalls = retrieval_scores(clip, test_pairs, batch_size=args.batch_size)
    digits = caption_pairs("test", test_pairs.size, length=ZERO_SHOT_IMAGES, max_digits=1,
                           seed=ZERO_SHOT_SEED, tokenizer=test_pairs.tokenizer)
    accuracy = zero_shot_digit_accuracy(clip, digits, batch_size=args.batch_size)
    print(f"evaluated {saved.record['model']} of {saved.folder} on the {len(test_pairs)} "
          f"test pairs of {clip_training.DATASET}")
    for direction, name in (("image_to_text", "image→text"), ("text_to_image", "text→image")):
        print(f"{name} recall@1: {recalls[f'{direction}_R@1']:.4f}  recall@5: "
              f"{recalls[f'{direction}_R@5']:.4f}  (chance: {1 / len(test_pairs):.4f}, "
              f"{5 / len(test_pairs):.4f})")
    print(f"zero-shot accuracy on {len(digits)} single-digit canvases, "
          f"{len(ZERO_SHOT_TEMPLATES)} prompt templates: {accuracy:.4f} (chance: 0.1000)")
    return 0
