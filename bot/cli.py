"""The tone-coach command line: check drafts, evaluate, run the Slack app, manage the db."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from dotenv import load_dotenv

EXIT_OK, EXIT_NEEDS_WORK, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    load_dotenv()
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except CLIError as exc:
        print(f"tone-coach: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


EVAL_HELP = """\
Score the reviewer on labelled drafts: verdict accuracy (overall and per language), false
alarms on good drafts, precision and recall per guideline, and how intact the rewrites are
(untouched sentences, markup tokens, paragraphs and facts kept; fragments produced).

The file is JSON Lines, UTF-8, one draft per line:

  {"draft": "As I already explained, ...", "needs_work": true,
   "context": "the customer's message (optional)",
   "violations": ["dont-argue"], "language": "en", "id": "en-07"}

draft (text) and needs_work (true/false) are required; violations lists the guideline ids
the draft breaks; language (en, ru, pl, et, uk) is detected when missing; context and id
are optional. An empty file or a line that is not such an object stops with exit code 2.
"""


class CLIError(Exception):
    """A problem to report on one line, with no traceback."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tone-coach", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    check = commands.add_parser("check", help="review one draft reply")
    check.add_argument("draft", nargs="?", default="-", help="the draft; '-' or none reads stdin")
    check.add_argument("--context", help="the customer's message the draft answers")
    check.add_argument("--json", action="store_true", help="print the review as JSON")
    check.add_argument("--offline", action="store_true", help="never call the language model")
    check.set_defaults(handler=_check)

    evaluate = commands.add_parser(
        "eval", help="score the reviewer on a labelled JSONL file",
        description=EVAL_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluate.add_argument("file", help="labelled drafts, one JSON object per line (see below)")
    evaluate.add_argument("--offline", action="store_true", help="never call the language model")
    evaluate.set_defaults(handler=_eval)

    train = commands.add_parser(
        "train", help="retrain the offline detector from the corpus and the guidelines",
        description="Fit the offline detector (needs scikit-learn: pip install -e '.[train]') "
        "from prompts/corpus/ and each guideline's examples, and write it beside the "
        "guidelines file as <name>.model.npz. Deterministic: the same data gives the same "
        "model.",
    )
    train.add_argument("--guidelines", help="guidelines file (default $TONE_COACH_GUIDELINES "
                       "or prompts/guidelines.yaml)")
    train.add_argument("--corpus", help="corpus folder (default prompts/corpus)")
    train.set_defaults(handler=_train)

    serve = commands.add_parser("serve", help="run the Slack app over HTTP (production)")
    serve.add_argument("--port", type=int, help="port to listen on (default $PORT, else 3000)")
    serve.set_defaults(handler=_serve)

    socket = commands.add_parser("socket", help="run the Slack app in Socket Mode (laptop)")
    socket.set_defaults(handler=_socket)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(title="db commands")
    upgrade = db_commands.add_parser("upgrade", help="apply migrations up to the newest")
    upgrade.set_defaults(handler=_db_upgrade)

    tips = commands.add_parser("tips", help="daily tips")
    tips_commands = tips.add_subparsers(title="tips commands")
    preview = tips_commands.add_parser("preview", help="print today's tip")
    preview.add_argument("--lang", default="en", help="language: en, ru, pl, et or uk")
    preview.set_defaults(handler=_tips_preview)
    return parser


def _coach(offline: bool):  # noqa: ANN202 - keeps heavy imports out of `--help`
    # Warnings (such as "the model could not be reached, answering offline") on one line each.
    logging.basicConfig(level=logging.WARNING, format="tone-coach: warning: %(message)s")
    from bot.coaching.coach import Coach
    from bot.coaching.guidelines import GuidelineError
    from bot.coaching.prompts import PromptError

    try:
        return Coach.from_env(offline=offline)
    except (GuidelineError, PromptError, ValueError) as exc:
        raise CLIError(str(exc)) from None


def _check(args: argparse.Namespace) -> int:
    from bot.coaching.coach import DraftError
    from bot.coaching.llm import ModelConfigError

    draft = sys.stdin.read() if args.draft == "-" else args.draft
    coach = _coach(args.offline)
    try:
        review = coach.review(draft, args.context, raise_config_errors=True)
    except DraftError as exc:
        raise CLIError(str(exc)) from None
    except ModelConfigError as exc:
        raise CLIError(f"{exc}: check OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL") from None
    if args.json:
        print(json.dumps(review.public_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_review(review, coach.guidelines))
    return EXIT_OK if review.verdict == "ok" else EXIT_NEEDS_WORK


def format_review(review, guidelines) -> str:  # noqa: ANN001
    """The review as plain text for a terminal."""
    verdict = "ok" if review.verdict == "ok" else "needs work"
    lines = [f"{verdict} ({review.language}, {review.engine} engine)"]
    if review.note:
        lines.append(f"note: {review.note}")
    width = max((len(f.guideline) for f in review.findings), default=0)
    for finding in review.findings:
        lines.append(f"  {finding.guideline:<{width}}  \"{finding.quote}\"  {finding.explanation}")
    if review.verdict == "needs_work":
        lines.append("Suggested rewrite:")
        lines += [f"  {line}" for line in review.rewrite.splitlines()]
    if review.example:
        lines.append("Example to follow:")
        lines.append(f"  {review.example}")
    return "\n".join(lines)


def _eval(args: argparse.Namespace) -> int:
    from bot.coaching.evaluate import evaluate, read_corpus

    try:
        items = read_corpus(args.file)
    except (OSError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    coach = _coach(args.offline)
    print(f"engine: {coach.engine}")
    print(evaluate(items, coach.review).format())
    return EXIT_OK


def _train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.coaching.guidelines import GuidelineError, load_guidelines

    try:
        from bot.coaching.training import format_dev_scores, train
    except ImportError as exc:
        raise CLIError(f"training needs scikit-learn ({exc.name} is missing): "
                       "pip install -e '.[train]'") from None
    try:
        guidelines = load_guidelines(args.guidelines)
    except GuidelineError as exc:
        raise CLIError(str(exc)) from None
    from bot.coaching.corpus import DEFAULT_CORPUS
    from bot.coaching.detector import DEFAULT_MODEL

    corpus_dir = Path(args.corpus) if args.corpus else DEFAULT_CORPUS
    if not corpus_dir.is_dir():
        raise CLIError(f"{corpus_dir}: no such corpus folder")
    detector, corpus, scores = train(guidelines, corpus_dir)
    source = Path(guidelines.source)
    default = source.resolve() == (DEFAULT_MODEL.parent / "guidelines.yaml").resolve()
    out = DEFAULT_MODEL if default else source.with_name(f"{source.stem}.model.npz")
    detector.save(out)
    print(corpus.summary())
    print(format_dev_scores(scores))
    print(f"wrote {out}")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from bot.slack.server import serve

    return serve(port=args.port)


def _socket(args: argparse.Namespace) -> int:
    from bot.slack.server import run_socket_mode

    return run_socket_mode()


def _db_upgrade(args: argparse.Namespace) -> int:
    from bot.storage import Storage, StorageError

    try:
        storage = Storage.from_env()
        storage.upgrade()
    except StorageError as exc:
        raise CLIError(str(exc)) from None
    print(f"database is up to date: {storage.url}")
    return EXIT_OK


def _tips_preview(args: argparse.Namespace) -> int:
    from bot.tips.preview import preview

    return preview(args.lang)
