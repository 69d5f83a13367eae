"""Reads a chperms --metrics file with prometheus_client's own parser and
checks its values against the JSON Lines output of the same run.

Usage: compare_metrics.py METRICS.prom RUN.jsonl [TREE=TREE.jsonl ...]
  RUN.jsonl    the --format json output of the run that wrote the metrics:
               the sum over trees of each gauge equals its summary field, and
               chperms_drift_findings{tree,kind} equals the number of drift
               findings of that kind below that tree;
  TREE=FILE    the JSON output of a run over that tree alone: that tree's
               samples equal its summary.
Exits 1 with the differences, 0 when everything matches.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

FIELDS = {
    "chperms_entries_checked": "checked",
    "chperms_entries_changed": "changed",
    "chperms_entries_drift": "drift",
    "chperms_entries_refused": "refused",
    "chperms_errors": "errors",
}


def load_run(path):
    findings, summary = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if "summary" in obj:
                summary = obj["summary"]
            else:
                findings.append(obj)
    if summary is None:
        sys.exit(f"{path}: no summary line")
    return findings, summary


def main():
    prom, run = sys.argv[1], sys.argv[2]
    with open(prom, encoding="utf-8") as f:
        families = list(text_string_to_metric_families(f.read()))
    samples = {}
    for fam in families:
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    findings, summary = load_run(run)
    trees = sorted({dict(k[1])["tree"] for k in samples})
    bad = []
    checks = 0

    def expect(what, got, want):
        nonlocal checks
        checks += 1
        if got != want:
            bad.append(f"{what}: metrics say {got}, JSON says {want}")

    for name, field in FIELDS.items():
        total = sum(v for (n, _), v in samples.items() if n == name)
        expect(f"sum of {name}", total, summary[field])
    for tree in trees:
        for kind in ("owner", "group", "mode", "missing", "process"):
            want = sum(
                1
                for f in findings
                if f["kind"] == kind
                and (f["action"] == "would-fix" or kind == "process")
                and (f["path"] == tree or f["path"].startswith(tree + "/"))
            )
            key = ("chperms_drift_findings", (("kind", kind), ("tree", tree)))
            expect(f"{tree} drift {kind}", samples.get(key), want)
    for arg in sys.argv[3:]:
        tree, path = arg.split("=", 1)
        _, one = load_run(path)
        for name, field in FIELDS.items():
            expect(f"{tree} {name}", samples.get((name, (("tree", tree),))), one[field])
    for line in bad:
        print("MISMATCH", line)
    print(f"compare_metrics: {checks} values compared, {len(bad)} differ ({len(trees)} trees)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
