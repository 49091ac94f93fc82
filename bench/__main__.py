"""`python -m bench [--tiny] [--out DIR]`: run the benchmark and write report.md, report.json and plots.

`python -m bench --stages MODEL` runs only its per-stage breakdown for MODEL and prints the table."""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from bench import report
from bench.harness import ROOT
from bench.profiles import ALL_KNOBS, FULL, TINY
from bench.run import run, stages_only


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="few messages, concurrency 1-2, 2 epochs (tests)")
    parser.add_argument("--all-knobs", action="store_true",
                        help="full run plus the knobs of changes already in the product (longer)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench", help="report directory")
    parser.add_argument("--keep-work", action="store_true", help="keep models, logs and configs of the run")
    parser.add_argument("--stages", type=Path, metavar="MODEL",
                        help="only the per-stage breakdown of MODEL (no training, no report files)")
    parser.add_argument("--conversations", type=int, metavar="N",
                        help="with --stages: N sequential conversations (default 4; more for steadier figures)")
    args = parser.parse_args()

    work_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"[bench] work directory {work_dir}", flush=True)
    if args.stages:
        try:
            breakdown = stages_only(args.stages.resolve(), work_dir, args.conversations)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
        print("\n".join(report.stage_lines({"stages": breakdown})), flush=True)
        return 0
    try:
        profile = TINY if args.tiny else ALL_KNOBS if args.all_knobs else FULL
        data = run(profile, work_dir)
        written = report.write(data, args.out)
    finally:
        if not args.keep_work:
            shutil.rmtree(work_dir, ignore_errors=True)
    print(f"[bench] wrote {args.out / 'report.md'}", flush=True)
    for item in written["targets"]:
        print(f"[bench] {item['target']}: {item['measured']} ({report.verdict(item['met'])})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
