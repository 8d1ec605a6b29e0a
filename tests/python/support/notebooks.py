"""Notebooks on the kernel built from their cells: as the JSON of a file JupyterLab opens,
or as the notebook object nbclient runs."""

import json

import nbformat

from support.kernel import KERNEL_NAME


def notebook(cells):
    """The JSON of a notebook on the kernel, one code cell per (id, source)."""
    return json.dumps({
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": KERNEL_NAME, "display_name": "KBase Spark SQL", "language": "sql"}},
        "cells": [
            {"cell_type": "code", "id": i, "metadata": {}, "execution_count": None, "outputs": [], "source": s}
            for i, s in cells
        ],
    })


def code_notebook(sources):
    """An nbformat notebook of one code cell per source, for nbclient to run."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb
