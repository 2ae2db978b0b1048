from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "data" / "drafts.jsonl"
