"""Any chart as PNG or SVG bytes, rendered offline with vl-convert (no browser)."""

from __future__ import annotations

from typing import Literal

import altair as alt

__all__ = ["chart_image"]


def chart_image(chart: alt.TopLevelMixin, fmt: Literal["png", "svg"] = "png", *,
                scale: float = 2.0, width: int = 900) -> bytes:
    """A chart as PNG or SVG bytes, rendered offline with vl-convert.

    Parameters
    ----------
    chart : alt.Chart
        Any Altair chart. A chart that fills its container's width is given
        ``width`` pixels (there is no container outside the browser).
    fmt : {"png", "svg"}
        Image format.
    scale : float
        PNG pixel density (2: sharp on high-DPI screens and in slides).
    width : int
        Width for container-width charts.

    Returns
    -------
    bytes
        The PNG file, or the SVG document encoded as UTF-8.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"fmt = {fmt!r}: must be 'png' or 'svg'")
    import vl_convert as vlc

    spec = chart.to_dict()
    if spec.get("width") == "container" or spec.get("autosize", {}).get("type") in (
            "fit", "fit-x"):
        spec["width"] = width
        spec["autosize"] = {"type": "pad", "contains": "padding"}
    spec.setdefault("background", "white")
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    return vlc.vegalite_to_png(spec, scale=scale)
