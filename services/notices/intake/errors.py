"""Refusals of the importer: ``shared.errors.Invalid`` subclasses, each naming the field and saying why in Chinese.

The gateway turns a ``DomainError`` into a 4xx with its ``field`` and
``message``; nothing the importer is given may end in a 5xx.
"""

from shared.errors import Invalid


class IntakeError(Invalid):
    """A document that cannot be imported."""


class EmptyDocument(IntakeError):
    code = "empty"


class UnsupportedFile(IntakeError):
    status = 415
    code = "unsupported_type"


class BrokenFile(IntakeError):
    code = "broken_file"


class NoTextLayer(IntakeError):
    code = "no_text_layer"


class FileTooLarge(IntakeError):
    status = 413
    code = "too_large"
