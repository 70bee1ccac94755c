#!/usr/bin/env python3
"""Writes qrels/dev.tsv of this folder: the squad-retrieval set's own dev questions on this corpus,
then the next eligible held-out train questions in the set's ranking until there are 1,000.

Usage: python3 make-dev.py /path/to/squad-retrieval   (the full set: corpus.jsonl, corpus-small.jsonl,
queries.jsonl, qrels/all.tsv, traffic.tsv, dev.tsv, test-seen.tsv). Python 3 standard library only.

The set's split rule (its README, "Splits"): the train questions sorted by
rank(key) = sha256("squad-retrieval-v1|" + key), key = the question's position id; the first 60% are
traffic; of the rest, those on a paragraph with traffic, of 2 words or more, not on a paragraph with an
identical twin and not repeating a traffic question of the same paragraph are eligible, in rank order;
dev is the first 1,000 eligible, test-seen the next 2,000. This script checks that it reproduces dev and
test-seen exactly, then takes eligible questions after test-seen whose paragraph is in the small corpus.
Nothing here is ever in traffic, test-seen or test-unseen.
"""
import collections
import hashlib
import json
import math
import sys

TOTAL = 1000


def rank(key):
    return hashlib.sha256(("squad-retrieval-v1|" + key).encode("utf-8")).hexdigest()


def ids(path):
    with open(path, encoding="utf-8") as f:
        return [line.split("\t")[0] for line in f.read().splitlines()[1:]]


def main(src):
    docs = {}
    with open(src + "/corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs[d["_id"]] = d["text"]
    with open(src + "/corpus-small.jsonl", encoding="utf-8") as f:
        small = {json.loads(line)["_id"] for line in f}
    doc_of = {}
    with open(src + "/qrels/all.tsv", encoding="utf-8") as f:
        for line in f.read().splitlines()[1:]:
            q, d, _ = line.split("\t")
            doc_of[q] = d
    text = {}
    with open(src + "/queries.jsonl", encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            text[o["_id"]] = o["text"]
    traffic = ids(src + "/qrels/traffic.tsv")
    dev = ids(src + "/qrels/dev.tsv")
    test_seen = ids(src + "/qrels/test-seen.tsv")
    train = sorted((q for q in doc_of if q.startswith("tr-q")), key=rank)
    n_traffic = math.floor(0.6 * len(train))
    if set(train[:n_traffic]) != set(traffic):
        sys.exit("traffic is not the first 60% of the ranking: not the set this script expects")

    def norm(s):
        return " ".join(s.split())

    groups = collections.defaultdict(list)
    for i, t in docs.items():
        groups[norm(t)].append(i)
    twins = {i for v in groups.values() if len(v) > 1 for i in v}
    traffic_docs = {doc_of[q] for q in traffic}
    traffic_keys = {(doc_of[q], norm(text[q]).lower()) for q in traffic}
    eligible = [
        q
        for q in train[n_traffic:]
        if doc_of[q] in traffic_docs
        and len(text[q].split()) >= 2
        and doc_of[q] not in twins
        and (doc_of[q], norm(text[q]).lower()) not in traffic_keys
    ]
    if set(eligible[:1000]) != set(dev) or set(eligible[1000:3000]) != set(test_seen):
        sys.exit("the rule does not reproduce the set's dev and test-seen")
    own = [q for q in eligible[:1000] if doc_of[q] in small]
    more = [q for q in eligible[3000:] if doc_of[q] in small][: TOTAL - len(own)]
    chosen = set(own) | set(more)
    order = [q for q in doc_of if q in chosen]  # SQuAD order, as the set's qrels files
    with open("qrels/dev.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for q in order:
            f.write(f"{q}\t{doc_of[q]}\t1\n")
    keep = set(ids("qrels/traffic.tsv")) | chosen | set(ids("qrels/test-seen.tsv")) | set(ids("qrels/test-unseen.tsv"))
    with open(src + "/queries.jsonl", encoding="utf-8") as f, open("queries.jsonl", "w", encoding="utf-8") as out:
        for line in f:
            if json.loads(line)["_id"] in keep:
                out.write(line)
    print(f"dev.tsv: {len(own)} of the set's dev questions and {len(more)} more, on "
          f"{len({doc_of[q] for q in order})} paragraphs; queries.jsonl: {len(keep)} questions")


if __name__ == "__main__":
    main(sys.argv[1])
