"""JSON parsing that answers 400 for any body it cannot read.

DRF's JSONParser turns a ValueError into a ParseError (400) but not a RecursionError: a body
of 100 000 nested brackets — a few hundred KB, well under the size limit — made every JSON
endpoint answer 500 (found by tests/security/test_hostile_requests.py).
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON 嵌套层数过多。") from exc
