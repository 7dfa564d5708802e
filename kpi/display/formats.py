"""Number formatting shared by cards, flags and profiles."""
from numbers import Real


def short_number(value: object) -> str:
    """A number with two decimals at most and no trailing zeros (0.75, 8, 52.18); other values as text."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return f"{float(value):.2f}".rstrip("0").rstrip(".")
    return str(value)
