"""The digest's trend chart as a PNG: "fine on the first check" and the top three guidelines.

matplotlib is imported here, inside :func:`render_chart`, and nowhere else: ``serve`` loads
it only when the first digest is drawn, so start-up time and idle memory stay as they were.
The figure is drawn on its own Agg canvas (no pyplot), which is safe from any thread.
"""

from __future__ import annotations

import io

from bot.digest.figures import Digest
from bot.digest.texts import DigestTexts, fine_percent, rate

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 6.0, 100
COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a")


def render_chart(digest: Digest, texts: DigestTexts, language: str,
                 titles: dict[str, str]) -> bytes:
    """The PNG bytes of the trend chart, labelled in ``language``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    t = lambda key, **values: texts(key, language, **values)  # noqa: E731
    labels = [week.start.strftime("%m-%d") for week in digest.weeks]
    positions = list(range(len(labels)))
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    fine_axes, guideline_axes = figure.subplots(2, 1, sharex=True)
    figure.suptitle(f"{t('title')} · {t('chart_caption', weeks=len(labels))}")

    _line(fine_axes, positions, [fine_percent(w) for w in digest.weeks], COLOURS[0], None)
    fine_axes.set_ylim(0, 100)
    fine_axes.set_ylabel(t("chart_fine_axis"))

    top = digest.top_guidelines()
    highest = 0.0
    for colour, guideline in zip(COLOURS[1:], top, strict=False):
        values = [rate(w, guideline) for w in digest.weeks]
        highest = max([highest, *(v for v in values if v is not None)])
        _line(guideline_axes, positions, values, colour, titles.get(guideline, guideline))
    guideline_axes.set_ylim(0, max(10.0, highest * 1.15))
    guideline_axes.set_ylabel(t("chart_guidelines_axis"))
    if top:
        # Below the chart, so it never covers a line.
        figure.legend(loc="outside lower center", ncols=len(top), fontsize="small",
                      frameon=False)
    guideline_axes.set_xticks(positions, labels)
    guideline_axes.set_xlabel(t("chart_week_axis"))
    for axes in (fine_axes, guideline_axes):
        axes.grid(axis="y", alpha=0.3)
        axes.spines[["top", "right"]].set_visible(False)
        axes.set_xlim(-0.5, len(labels) - 0.5)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _line(axes, positions: list[int], values: list[float | None], colour: str,  # noqa: ANN001
          label: str | None) -> None:
    """A line with a dot per week; a missing week (empty or hidden) breaks the line."""
    ys = [float("nan") if v is None else v for v in values]
    axes.plot(positions, ys, color=colour, marker="o", linewidth=2, label=label)
