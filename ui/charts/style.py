"""The look every chart shares: class colours, the run palette, container sizing."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt

__all__ = ["CLASS_COLORS", "FIT_WIDTH", "RUN_SCHEME", "class_scale"]

#: Class colours: blue and orange first (TensorFlow Playground's two classes), then
#: the rest of Tableau 10, so a class keeps its colour in every chart.
CLASS_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2",
                "#eeca3b", "#9d755d", "#ff9da6", "#bab0ac")
#: Many runs need many distinguishable colours.
RUN_SCHEME = "tableau20"
#: Fill the container's width, keep the given height for the plot itself (Streamlit's
#: default "fit" squeezes the plot when a title and a legend take their space).
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def class_scale(classes: Sequence[str]) -> alt.Scale:
    """A colour scale giving each class, in order, its colour of :data:`CLASS_COLORS`.

    Parameters
    ----------
    classes : sequence of str
        Class names in class-index order.

    Returns
    -------
    alt.Scale
        An ordinal scale with ``classes`` as its domain.
    """
    colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(len(classes))]
    return alt.Scale(domain=list(classes), range=colors)
