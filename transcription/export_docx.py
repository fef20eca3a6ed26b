"""A transcript as a Word document: a title, the interview's data in a table, then one paragraph per segment.

Each paragraph reads `[hh:mm:ss] Name: text` (the timestamp grey, the name bold), the same line
`transcription.text_format` writes, so the document goes back into Perché or another tool as it
came out. A segment without a timestamp shows none. python-docx loads on first use.
"""

from __future__ import annotations

import io
import re

from .export import TranscriptHeader, speaker_names
from .schema import Transcript
from .text_format import clock

GREY = (0x80, 0x80, 0x80)
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # Word's XML cannot hold these


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def to_docx(transcript: Transcript, header: TranscriptHeader | None = None) -> bytes:
    """The .docx file's bytes."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    header = header or TranscriptHeader()
    document = Document()
    title = _xml(header.title) or "Transcript"
    document.core_properties.title = title
    document.add_heading(title, level=1)
    rows = header.rows()
    if rows:
        table = document.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for label, value in rows:
            cells = table.add_row().cells
            cells[0].text = label
            cells[0].paragraphs[0].runs[0].bold = True
            cells[1].text = _xml(value)
        document.add_paragraph()
    names = speaker_names(transcript)
    for seg in transcript.segments:
        text = " ".join(_xml(seg.text).split())
        if not text:
            continue
        paragraph = document.add_paragraph()
        if seg.start is not None:
            stamp = paragraph.add_run(f"[{clock(seg.start)}] ")
            stamp.font.color.rgb = RGBColor(*GREY)
            stamp.font.size = Pt(9)
        if seg.speaker:
            name = " ".join(_xml(names.get(seg.speaker, seg.speaker)).replace(":", " ").split())
            paragraph.add_run(name).bold = True
            paragraph.add_run(": ")
        paragraph.add_run(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
