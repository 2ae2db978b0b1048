"""Tone Coach: coaching support agents on the tone of their draft replies."""

from pathlib import Path

__version__ = "0.1.0"

#: The repository's ``prompts/`` folder: guidelines, prompt templates and tips live there as data.
PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
