"""Rebuilds the real-phrasing NLU evaluation sets from mirrors of public corpora.

Run from the repository root:
    PYTHONPATH=. .venv/bin/python scripts/build_real_phrasing.py [--mirrors /work/.mirror]

The repository keeps no third-party sentence: eval/real_phrasing/labels.tsv (round 26, split into
tune / report), eval/real_phrasing/labels_r27.tsv (round 27, guided: its misreads have been read since
round 28) and eval/real_phrasing/labels_r28.tsv (round 28, untuned: nobody wrote training lines or
chose thresholds on it) hold, per line, where the customer turn is in its corpus, the SHA-1 of its
normalized text and the intent we gave it.
This script reads the customer turns out of local git mirrors of the corpora (at the pinned commits
below), keeps the labelled ones and writes var/eval/real_phrasing.yml (gitignored). Get a mirror with
the workspace's `fetch github:<owner>/<name>` tool (it lands in <mirrors>/<owner>+<name>/repo), or
`git clone --mirror https://github.com/<owner>/<name> <mirrors>/<owner>+<name>/repo`.
Evaluation only: nothing here may be copied into data/ or trained on.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "eval" / "real_phrasing" / "labels.tsv"
LABELS_R27 = ROOT / "eval" / "real_phrasing" / "labels_r27.tsv"
LABELS_R28 = ROOT / "eval" / "real_phrasing" / "labels_r28.tsv"
# The label files and the set name their lines carry. Round 26's lines are split into tune / report
# by hash; a set scored whole carries one split name: `untuned` for the newest set (a measurement of
# lines nobody has tuned on), `guided` for an earlier untuned set once its misreads have been read
# (round 27 since round 28): it may guide training lines, so it no longer gives the honest figure.
SETS = {"round26": LABELS, "round27": LABELS_R27, "round28": LABELS_R28}
UNTUNED_SET = "round28"
GUIDED_SET = "round27"
WHOLE_SPLITS = {UNTUNED_SET: "untuned", GUIDED_SET: "guided"}
OUTPUT = ROOT / "var" / "eval" / "real_phrasing.yml"
DEFAULT_MIRRORS = Path("/work/.mirror")
TUNE_SHARE = 4  # of 10: lines whose SHA-1 falls in the first 40 % form the `tune` split
LABEL_COLUMNS = ["source_id", "sha1", "loose_sha1", "intent"]

_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f]) +| +(?=[^\x00-\x7f])")
_LOOSE_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """The form a line is stored, hashed and parsed in: NFKC, single spaces, and no space next to
    a CJK character (the Taobao corpus is word-segmented with spaces; real users type none)."""
    text = unicodedata.normalize("NFKC", text)
    text = " ".join(text.split())
    return _CJK_GAP.sub("", text)


def sha1(text: str) -> str:
    """SHA-1 of the normalized text (the key of labels.tsv)."""
    return hashlib.sha1(normalize(text).encode("utf-8")).hexdigest()


def loose_sha1(text: str) -> str:
    """SHA-1 of the normalized text lower-cased without spaces and punctuation: a copied line
    whose punctuation or case was edited still has the same loose hash."""
    return hashlib.sha1(_LOOSE_DROP.sub("", normalize(text).lower()).encode("utf-8")).hexdigest()


def split_of(digest: str) -> str:
    """Fixed split by SHA-1: `tune` (about 40 %, for thresholds) or `report` (the figures)."""
    return "tune" if int(digest[:8], 16) % 10 < TUNE_SHARE else "report"


@dataclass(frozen=True)
class Corpus:
    """One public corpus: where its mirror is, which commit and file, how to read customer turns."""

    key: str
    repo: str
    commit: str
    paths: Tuple[str, ...]
    licence: str
    turns: Callable[[str, str], Iterator[Tuple[str, str]]]  # (path, file text) → (id, text)


def jddc_turns(path: str, content: str) -> Iterator[Tuple[str, str]]:
    """JDDC chat sample: tab-separated session, user, waiter_send (0 = customer), transfer, repeat,
    sku, content. The id is session:position of the line within its session."""
    position: Dict[str, int] = {}
    for line in content.splitlines():
        fields = line.split("\t")
        if len(fields) < 7:
            continue
        session, sender, text = fields[0], fields[2], "\t".join(fields[6:])
        index = position.get(session, 0)
        position[session] = index + 1
        if sender == "0" and text.strip() and text.strip().lower() not in ("nan", "null"):
            yield f"{session}:{index}", text


def ecd_turns(path: str, content: str) -> Iterator[Tuple[str, str]]:
    """E-commerce Dialogue Corpus sample: label, context utterances…, candidate response (tabs).
    The candidate is the seller's, so the customer's utterances are the last context one and every
    second one before it. The id is file:line:utterance position (first line a context appears)."""
    name = path.rsplit("/", 1)[-1]
    for number, line in enumerate(content.splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) < 3:
            continue
        context = fields[1:-1]
        for index in range(len(context) - 1, -1, -2):
            if context[index].strip():
                yield f"{name}:{number}:{index}", context[index]


def jddc_dev_turns(path: str, content: str) -> Iterator[Tuple[str, str]]:
    """JDDC dev questions: <session id> blocks whose <context> has the customer's turns as `Q:<tab>…`
    lines (the agent's are `A:`), then the customer's next turns as <Q1>…</Q1>, <Q2>… . A turn may
    hold several messages joined by !@@@!; each is one line. The id is session:turn:message, the turn
    being c<k> (k-th context Q) or q<n>. NULL and the system's 用户发起转人工 are not customer text."""
    session, context = "", 0
    for line in content.splitlines():
        opening = re.match(r"<session (\S+)>", line)
        if opening:
            session, context = opening.group(1), 0
            continue
        if line.startswith("Q:\t"):
            context += 1
            turn, text = f"c{context}", line[3:]
        else:
            question = re.match(r"<Q(\d+)>(.*)</Q\d+>$", line)
            if not question:
                continue
            turn, text = f"q{question.group(1)}", question.group(2)
        for index, part in enumerate(text.split("!@@@!")):
            if part.strip() and part.strip() not in ("NULL", "用户发起转人工"):
                yield f"{session}:{turn}:{index}", part


JDDC_REPO = "EndlessLethe/jddc2019-3th-retrieve-model"
JDDC_COMMIT = "2d443d1679cc3d00022d0ff1697eb0e4cbeedb01"

CORPORA: Dict[str, Corpus] = {
    corpus.key: corpus
    for corpus in (
        Corpus(
            key="jddc", repo=JDDC_REPO, commit=JDDC_COMMIT, paths=("data/chat_0.1per.txt",),
            licence="no licence file; JDDC (JD.com) competition data sample, research use",
            turns=jddc_turns,
        ),
        Corpus(  # the same repository's dev questions: sessions of their own
            key="jddcdev", repo=JDDC_REPO, commit=JDDC_COMMIT, paths=("data/dev_question.txt",),
            licence="no licence file; JDDC 2019 dev questions (JD.com, desensitized with ***), "
                    "research use",
            turns=jddc_dev_turns,
        ),
        Corpus(
            key="ecd",
            repo="cooelf/DeepUtteranceAggregation",
            commit="f2e15d6600ccda0db32eee98b2ca67c322071964",
            paths=("ECD_sample/test", "ECD_sample/train"),
            licence="no licence file; E-commerce Dialogue Corpus sample (Zhang et al., COLING 2018)",
            turns=ecd_turns,
        ),
    )
}


class MirrorMissing(SystemExit):
    """A corpus mirror (or its pinned commit) is not on this machine."""


def git_dir(mirrors: Path, repo: str) -> Path:
    """The git directory of a mirror: <mirrors>/<owner>+<name>/repo (bare or with .git inside)."""
    base = mirrors / repo.replace("/", "+") / "repo"
    for candidate in (base / ".git", base):
        if (candidate / "HEAD").is_file():
            return candidate
    raise MirrorMissing(
        f"mirror of {repo} not found under {base}: fetch it (workspace tool `fetch github:{repo}`, "
        f"or `git clone --mirror https://github.com/{repo} {base}`), or pass --mirrors DIR")


def read_blob(directory: Path, commit: str, path: str) -> str:
    """A file of the mirror at the pinned commit."""
    result = subprocess.run(["git", "--git-dir", str(directory), "show", f"{commit}:{path}"],
                            capture_output=True)
    if result.returncode != 0:
        raise MirrorMissing(f"{directory}: cannot read {path} at {commit}: "
                            f"{result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode("utf-8", errors="replace")


def customer_turns(corpus: Corpus, mirrors: Path) -> Iterator[Tuple[str, str]]:
    """(source id, normalized text) of every customer turn of a corpus, first occurrence of a text."""
    directory = git_dir(mirrors, corpus.repo)
    seen = set()
    for path in corpus.paths:
        for turn_id, text in corpus.turns(path, read_blob(directory, corpus.commit, path)):
            text = normalize(text)
            if text and text not in seen:
                seen.add(text)
                yield f"{corpus.key}:{turn_id}", text


def read_all_labels() -> List[Dict[str, str]]:
    """The label rows of every set, each with its set name under "set"."""
    return [{**row, "set": name} for name, path in SETS.items() for row in read_labels(path)]


def read_labels(path: Path = LABELS) -> List[Dict[str, str]]:
    """The label rows (source_id, sha1, loose_sha1, intent)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader((line for line in handle if not line.startswith("#")),
                                   delimiter="\t"))
    for row in rows:
        if set(row) != set(LABEL_COLUMNS) or not all(row.values()):
            raise SystemExit(f"{path}: malformed row {row}")
    return rows


def build(mirrors: Path, labels: List[Dict[str, str]], set_name: str = "round26"
          ) -> List[Dict[str, str]]:
    """The labelled lines with their text, in label-file order; fails on any line not found.
    Lines of a set scored whole get its split (WHOLE_SPLITS), round 26's tune / report by hash."""
    wanted = {row["source_id"].split(":", 1)[0] for row in labels}
    unknown = wanted - set(CORPORA)
    if unknown:
        raise SystemExit(f"labels name unknown corpora: {sorted(unknown)}")
    texts: Dict[str, str] = {}
    for key in sorted(wanted):
        texts.update(customer_turns(CORPORA[key], mirrors))
    examples, problems = [], []
    for row in labels:
        text: Optional[str] = texts.get(row["source_id"])
        if text is None:
            problems.append(f"{row['source_id']}: no customer turn with that id")
        elif sha1(text) != row["sha1"]:
            problems.append(f"{row['source_id']}: text differs from the labelled one (SHA-1)")
        else:
            split = WHOLE_SPLITS.get(set_name) or split_of(row["sha1"])
            examples.append({"text": text, "intent": row["intent"], "split": split,
                             "set": set_name, "source_id": row["source_id"], "sha1": row["sha1"]})
    if problems:
        raise SystemExit("real-phrasing set does not rebuild:\n  " + "\n  ".join(problems))
    return examples


def write(examples: List[Dict[str, str]], path: Path = OUTPUT) -> None:
    """var/eval/real_phrasing.yml: the corpora and one mapping per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "note": "Built by scripts/build_real_phrasing.py from third-party corpora: evaluation only, "
                "never train on it or copy it into data/.",
        "corpora": {key: {"repo": c.repo, "commit": c.commit, "paths": list(c.paths),
                          "licence": c.licence} for key, c in CORPORA.items()},
        "examples": examples,
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1000),
                    encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS,
                        help="directory holding <owner>+<name>/repo git mirrors")
    parser.add_argument("--labels", type=Path,
                        help="one label file only (read as round 26); default: every set")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args()
    sets = {"round26": args.labels} if args.labels else SETS
    examples = [example for name, path in sets.items()
                for example in build(args.mirrors, read_labels(path), name)]
    duplicated = len(examples) - len({e["sha1"] for e in examples})
    if duplicated:
        raise SystemExit(f"{duplicated} lines are labelled in two sets: a line belongs to one set")
    write(examples, args.out)
    splits = {s: sum(e["split"] == s for e in examples)
              for s in ("tune", "report", "guided", "untuned")}
    print(f"wrote {len(examples)} lines to {args.out} ({splits['tune']} tune, "
          f"{splits['report']} report of round 26; {splits['guided']} guided of {GUIDED_SET}; "
          f"{splits['untuned']} untuned of {UNTUNED_SET})", file=sys.stderr)


if __name__ == "__main__":
    main()
