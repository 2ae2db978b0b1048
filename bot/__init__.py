"""Tone Coach: coaching support agents on the tone of their draft replies."""

from importlib import resources
from pathlib import Path

__version__ = "0.1.0"


def _prompts_dir() -> Path:
    """The data files: ``prompts/`` beside the package in a checkout (where a team edits them),
    else the copy the wheel ships inside the package (``bot/prompts``)."""
    checkout = Path(__file__).resolve().parent.parent / "prompts"
    if (checkout / "guidelines.yaml").is_file():
        return checkout
    return Path(str(resources.files(__name__).joinpath("prompts")))


#: Guidelines, prompt templates, tips and messages: data files, not code.
PROMPTS_DIR = _prompts_dir()
