"""Home page of the nncore dashboard: `streamlit run dashboard.py`."""

from __future__ import annotations

import streamlit as st

import nncore

st.set_page_config(page_title="nncore", page_icon="🧠", layout="wide")
st.title("nncore: train small neural networks and see them learn")
st.write(
    "Pick a dataset and an architecture, train it with nncore's NumPy backpropagation, "
    "and find every run recorded in MLflow."
)
st.caption(f"nncore {nncore.__version__}")
st.info(
    "The training and comparison pages are on their way. Meanwhile, nncore works from "
    "Python: see the README for a short example."
)
