"""Checks that training lines stay far from every real-phrasing line (rounds 26, 27 and 28).

Run from the repository root, after scripts/build_real_phrasing.py:
    PYTHONPATH=. .venv/bin/python scripts/check_real_phrasing_distance.py [--base REV] [--all]

A data/nlu line is too close when its difflib ratio to a real-phrasing line (both normalized as the
set is, lower-cased) is 0.7 or more: such a line would be a copy or a close paraphrase of an
evaluation line. By default the lines added to data/nlu since --base (default HEAD, the uncommitted
change) are checked; --all checks every training line. Exits 1 and lists the pairs when any is too
close. tests/nlu/test_real_phrasing_unseen.py checks exact and loose hashes without the mirrors.
"""
from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
from pathlib import Path
from typing import Iterable, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from scripts.build_real_phrasing import OUTPUT, normalize  # noqa: E402
from tests.nlu.heldout import TRAINING_DIR, labelled, load_training  # noqa: E402

MAX_RATIO = 0.7


def comparable(text: str) -> str:
    return normalize(text).lower()


def added_lines(base: str) -> set:
    """Example lines (`- text`) added under data/nlu since base, the working tree included."""
    diff = subprocess.run(["git", "diff", base, "--", str(TRAINING_DIR.relative_to(ROOT))],
                          cwd=ROOT, capture_output=True, text=True, check=True).stdout
    untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--",
                                str(TRAINING_DIR.relative_to(ROOT))],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    lines = [line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    for name in untracked:
        lines += (ROOT / name).read_text(encoding="utf-8").splitlines()
    return {line.strip()[2:].strip() for line in lines if line.strip().startswith("- ")}


def too_close(train: Iterable[str], real: List[str]) -> List[Tuple[float, str, str]]:
    """(ratio, training line, real line) for every pair at MAX_RATIO or above."""
    pairs = []
    real_forms = [(comparable(r), r) for r in real]
    for text in train:
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(comparable(text))
        for form, original in real_forms:
            matcher.set_seq1(form)
            if (matcher.real_quick_ratio() >= MAX_RATIO and matcher.quick_ratio() >= MAX_RATIO
                    and matcher.ratio() >= MAX_RATIO):
                pairs.append((matcher.ratio(), text, original))
    return sorted(pairs, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="check the lines added since this revision")
    parser.add_argument("--all", action="store_true", help="check every data/nlu line")
    parser.add_argument("--real", type=Path, default=OUTPUT)
    args = parser.parse_args()
    if not args.real.is_file():
        raise SystemExit(f"{args.real} missing: run scripts/build_real_phrasing.py first")
    real = [e["text"] for e in yaml.safe_load(args.real.read_text(encoding="utf-8"))["examples"]]
    training = {text for text, _ in labelled(load_training())}
    train = training if args.all else added_lines(args.base) & training
    pairs = too_close(sorted(train), real)
    for ratio, text, original in pairs:
        print(f"{ratio:.2f}\t{text}\t(real-phrasing line, local only: {original})")
    print(f"{len(train)} training lines checked against {len(real)} real-phrasing lines: "
          f"{len(pairs)} at difflib ratio >= {MAX_RATIO}", file=sys.stderr)
    sys.exit(1 if pairs else 0)


if __name__ == "__main__":
    main()
