"""How wide text prints, in full-width characters (em), for layout decisions.

One rule for titles, signatures and table columns in Word, chart labels and the
collection form's column widths: a character outside ASCII (Chinese, full-width
punctuation, “” and —, as Chinese fonts draw them) is one em; ASCII (digits and Latin in
Times New Roman or the chart font) is ``narrow`` of an em.
"""

from __future__ import annotations


def text_width(text: str, narrow: float = 0.5) -> float:
    """Width of ``text`` in ems; ``narrow`` is an ASCII character's share of an em."""
    return sum(narrow if ord(c) < 0x80 else 1.0 for c in text)
