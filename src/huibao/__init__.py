"""huibao: turn the numbers units collect each year into GB/T 9704 Word reports."""

from huibao.errors import HuibaoError

__version__ = "0.1.0"
__all__ = ["HuibaoError", "__version__"]
