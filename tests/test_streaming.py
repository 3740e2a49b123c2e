"""The CLI streams: output for early records appears while input is still open."""

from __future__ import annotations

import json
import select
import subprocess
import sys


def test_tag_writes_output_before_input_ends():
    proc = subprocess.Popen(
        [sys.executable, "-m", "customs_topics.cli", "tag", "-", "--format", "jsonl", "--batch-size", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b'{"id": "a1", "title": "Cocaine seized", "body": "Customs seized cocaine at the port."}\n')
        proc.stdin.flush()
        # stdin stays open: the first result must arrive anyway (generous bound for a slow machine).
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready, "no output while input was still open"
        first = json.loads(proc.stdout.readline())
        assert first["id"] == "a1" and first["labels"] == ["illicit_trade"]
        proc.stdin.write(b'{"id": "a2", "title": "Single window", "body": "The single window cut clearance times."}\n')
        proc.stdin.close()
        rest = [json.loads(line) for line in proc.stdout.read().splitlines()]
        assert [r["id"] for r in rest] == ["a2"]
        assert proc.wait(timeout=120) == 0
    finally:
        proc.kill()
