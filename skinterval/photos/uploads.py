"""An upload handler that stops keeping a file past the size limit.

Django would otherwise spool any size of upload to a temporary file before the
view could refuse it. With this handler first in line, the bytes past the limit
are read from the connection and dropped, and the view learns the file was too
large from `too_large(request)`.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

_FLAG = "_skinterval_upload_too_large"


class SizeLimitedUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            setattr(self.request, _FLAG, True)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file


def limit_uploads(request: HttpRequest, limit: int) -> None:
    """Call before anything reads request.POST or request.FILES."""
    request.upload_handlers.insert(0, SizeLimitedUploadHandler(request, limit=limit))


def too_large(request: HttpRequest) -> bool:
    return bool(getattr(request, _FLAG, False))
