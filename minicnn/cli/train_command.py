"""`minicnn train MODEL`: train a zoo model on a dataset, report test accuracy, save the run."""
import contextlib
import os
import time
import warnings

from .. import models, optim
from .. import random as mc_random
from ..autograd import detect_anomaly
from ..data import DataLoader
from ..io import save
from ..threads import set_num_threads
from ..train import evaluate, fit
from . import datasets

OPTIMIZERS = {"adam": optim.Adam, "adamw": optim.AdamW, "sgd": optim.SGD,
              "rmsprop": optim.RMSprop}


def _optimizer(name, params, lr):
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    return OPTIMIZERS[name](params, lr=lr)


def run(args):
    constructor = getattr(models, args.model, None)
    if constructor is None or not callable(constructor):
        raise SystemExit(f"minicnn train: unknown model {args.model!r}; the models are: "
                         f"{', '.join(models.__all__)}")
    set_num_threads(args.threads)
    mc_random.manual_seed(args.seed)
    try:
        train_set, test_set, channels, classes = datasets.build(args.dataset, args.data_root,
                                                                args.download)
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(f"minicnn train: {str(error).removeprefix('train: ')}") from None
    model = constructor(num_classes=classes, in_channels=channels)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              seed=args.seed, num_workers=args.workers, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=args.workers)
    optimizer = _optimizer(args.optimizer, model.parameters(), args.lr)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                              steps_per_epoch=len(train_loader))
    out = args.out or os.path.join("runs", time.strftime("%Y%m%d-%H%M%S"))
    print(f"training {args.model} on {args.dataset} ({len(train_set)} train / {len(test_set)} "
          f"test images) for {args.epochs} epochs; run folder {out}")
    started = time.perf_counter()
    anomaly = detect_anomaly() if args.detect_anomaly else contextlib.nullcontext()
    with anomaly, warnings.catch_warnings():
        # a stop on a non-finite loss ends the command with the same message, once
        warnings.filterwarnings("ignore", message="fit: ", category=RuntimeWarning)
        history = fit(model, train_loader, optimizer, epochs=args.epochs,
                      val_loader=test_loader, scheduler=scheduler, scheduler_step="batch",
                      device=args.device, out_dir=out, checkpoint_every=args.checkpoint_every,
                      resume=args.resume, on_nonfinite=args.on_nonfinite)
    if history and "stopped" in history[-1]:
        stopped = history[-1]["stopped"].removeprefix("fit: ")
        raise SystemExit(f"minicnn train: {stopped}; no model.npz written")
    scores = evaluate(model, test_loader, device=args.device)
    save(model.state_dict(), os.path.join(out, "model.npz"))
    print(f"trained in {time.perf_counter() - started:.1f} s; checkpoint, history and plot "
          f"in {out}")
    print(f"test accuracy: {scores['top1']:.4f}")
    return 0 if history or args.resume else 1
