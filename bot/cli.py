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

    evaluate = commands.add_parser("eval", help="score the reviewer on a labelled JSONL file")
    evaluate.add_argument("file")
    evaluate.add_argument("--offline", action="store_true", help="never call the language model")
    evaluate.set_defaults(handler=_eval)

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
    from bot.coaching.llm import ModelConfigError, ModelGone

    draft = sys.stdin.read() if args.draft == "-" else args.draft
    coach = _coach(args.offline)
    status = coach.check_model()
    if status is not None and status.usable and status.warning():
        # A model already gone is reported once, as the error below.
        print(f"tone-coach: warning: {status.warning()}", file=sys.stderr)
    try:
        review = coach.review(draft, args.context, raise_config_errors=True)
    except DraftError as exc:
        raise CLIError(str(exc)) from None
    except ModelGone as exc:
        raise CLIError(f"{exc}: set OPENAI_MODEL") from None
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
