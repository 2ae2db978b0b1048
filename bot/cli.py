"""The tone-coach command line: check drafts, evaluate, run the Slack app, manage the db."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import __version__

if TYPE_CHECKING:
    from bot.settings import Settings

EXIT_OK, EXIT_NEEDS_WORK, EXIT_BAD_INPUT = 0, 1, 2

CHECK_EPILOG = """\
exit codes:
  0  the draft is fine
  1  the draft needs work (the review and a suggested rewrite are printed)
  2  bad input or settings: an empty or over-long draft, text that is not UTF-8,
     a broken guidelines file, a model key or URL that is refused
"""
TYPE_OR_PIPE = (
    "tone-coach: type or paste the draft, then press Ctrl-D on a new line "
    "(or pass it as an argument, or pipe it in: pbpaste | tone-coach check)"
)


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        args.help_for.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        from bot.settings import ConfigError, Settings

        try:
            settings = Settings.load()
        except ConfigError as exc:
            raise CLIError(str(exc)) from None
        return args.handler(args, settings)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except CLIError as exc:
        print(f"tone-coach: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _quiet_stdout() -> None:
    """The reader went away (``| head``): send what is left nowhere instead of a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tone-coach", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tone-coach {__version__}")
    parser.set_defaults(help_for=parser)
    commands = parser.add_subparsers(title="commands")

    check = commands.add_parser(
        "check", help="review one draft reply", epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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

    worker = commands.add_parser(
        "worker", help="run review jobs only (PostgreSQL; several may run on several machines)")
    worker.add_argument("--concurrency", type=int,
                        help="reviews at the same time (default $TONE_COACH_WORKERS, else 128)")
    worker.set_defaults(handler=_worker)

    socket = commands.add_parser("socket", help="run the Slack app in Socket Mode (laptop)")
    socket.set_defaults(handler=_socket)

    db = commands.add_parser("db", help="database schema")
    db.set_defaults(help_for=db)
    db_commands = db.add_subparsers(title="db commands")
    upgrade = db_commands.add_parser("upgrade", help="apply migrations up to the newest")
    upgrade.set_defaults(handler=_db_upgrade)

    report = commands.add_parser(
        "report", help="the weekly digest's figures, with a trend chart (PNG) and a CSV"
    )
    report.add_argument("--team", help="workspace id (needed when several are stored)")
    report.add_argument("--weeks", type=int, default=8, help="weeks of trend (default 8)")
    report.add_argument("--png", metavar="FILE", help="write the trend chart here")
    report.add_argument("--csv", metavar="FILE", help="write the weekly figures here")
    report.add_argument("--tz", default="UTC", help="time zone the weeks follow (default UTC)")
    report.add_argument("--lang", default="en", help="language: en, ru, pl, et or uk")
    report.set_defaults(handler=_report)

    tips = commands.add_parser("tips", help="daily tips")
    tips.set_defaults(help_for=tips)
    tips_commands = tips.add_subparsers(title="tips commands")
    preview = tips_commands.add_parser("preview", help="print today's tip")
    preview.add_argument("--lang", default="en", type=str.lower,
                         help="language: en, ru, pl, et or uk (any case)")
    preview.set_defaults(handler=_tips_preview)
    return parser


def _coach(settings: Settings, offline: bool):  # noqa: ANN202 - keeps heavy imports out of `--help`
    # Warnings (such as "the model could not be reached, answering offline") on one line each.
    logging.basicConfig(level=logging.WARNING, format="tone-coach: warning: %(message)s")
    from bot.coaching.coach import Coach
    from bot.coaching.guidelines import GuidelineError
    from bot.coaching.prompts import PromptError

    model = None if offline or not settings.uses_model else settings.model_settings()
    try:
        return Coach.build(model, settings.guidelines_file)
    except (GuidelineError, PromptError, ValueError) as exc:
        raise CLIError(str(exc)) from None


def read_draft(argument: str) -> str:
    """The draft from the argument, or from standard input for '-': UTF-8 text, no NUL."""
    if argument != "-":
        draft = argument
    else:
        if sys.stdin is None:
            raise CLIError("no draft: give it as an argument or on standard input")
        if sys.stdin.isatty():
            print(TYPE_OR_PIPE, file=sys.stderr)
        raw = sys.stdin.buffer.read()
        try:
            draft = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CLIError(
                f"standard input is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position "
                f"{exc.start}): save the draft as UTF-8"
            ) from None
    if "\x00" in draft:
        raise CLIError("the draft contains a NUL byte: give it as plain text")
    return draft


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.coaching.coach import DraftError
    from bot.coaching.llm import ModelConfigError, ModelGone

    draft = read_draft(args.draft)
    coach = _coach(settings, args.offline)
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
    sys.stdout.flush()  # a closed pipe shows up here, inside main's handler
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


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.coaching.evaluate import evaluate, read_corpus

    try:
        items = read_corpus(args.file)
    except (OSError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    coach = _coach(settings, args.offline)
    print(f"engine: {coach.engine}")
    print(evaluate(items, coach.review).format())
    sys.stdout.flush()
    return EXIT_OK


def _train(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.coaching.guidelines import GuidelineError, load_guidelines

    try:
        from bot.coaching.training import format_dev_scores, train
    except ImportError as exc:
        raise CLIError(f"training needs scikit-learn ({exc.name} is missing): "
                       "pip install -e '.[train]'") from None
    try:
        guidelines = load_guidelines(args.guidelines or settings.guidelines_file)
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


def _run_app(run, settings: Settings) -> int:  # noqa: ANN001
    from bot.coaching.guidelines import GuidelineError
    from bot.coaching.prompts import PromptError
    from bot.messages import MessagesError
    from bot.settings import ConfigError
    from bot.storage import StorageError
    from bot.tips.catalog import TipsError

    try:
        return run()
    except (ConfigError, StorageError, GuidelineError, PromptError, TipsError,
            MessagesError) as exc:
        raise CLIError(str(exc)) from None


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import serve

    return _run_app(lambda: serve(settings, port=args.port), settings)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import run_worker

    if args.concurrency is not None and args.concurrency < 1:
        raise CLIError("--concurrency must be at least 1")
    return _run_app(lambda: run_worker(settings, args.concurrency), settings)


def _socket(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import run_socket_mode

    return _run_app(lambda: run_socket_mode(settings), settings)


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage import Storage, StorageError

    try:
        storage = Storage(settings.database_url)
        before, after = storage.upgrade()
    except StorageError as exc:
        raise CLIError(str(exc)) from None
    finally:
        if "storage" in locals():
            storage.close()
    if storage.engine.dialect.name == "postgresql":
        from bot.jobs.postgres import apply_schema

        if apply_schema(storage.engine.url):
            print(f"{storage.url}: created the review job tables (procrastinate)")
    if before == after:
        print(f"{storage.url}: already up to date (revision {after}); nothing to do")
    elif before is None:
        print(f"{storage.url}: created the schema (revision {after})")
    else:
        print(f"{storage.url}: upgraded from revision {before} to {after}")
    return EXIT_OK


def _tips_preview(args: argparse.Namespace, settings: Settings) -> int:
    from bot.tips.preview import preview

    return preview(args.lang, settings.guidelines_file, settings.tips_file)


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.digest.report import ReportSources
    from bot.digest.report import main as report

    sources = ReportSources(settings.database_url, settings.guidelines_file,
                            settings.digest_texts_file)
    return report(sources, args.team, args.weeks, args.png, args.csv, args.tz, args.lang)
