"""Personal data in transcripts: which spans a line holds, who sees the originals, analysts' corrections.

Spans (`PiiSpan`, offsets into a segment's current text) are computed for every interview whatever
the study's setting, so turning *Redact personal data* on is instant: by the coding job (after a
transcription, a correction or an import; `detection_inputs` -> `detect_spans` without a session ->
`store_detections`, or `detect_for_interview` in one go), and for one line right after a
correction (`segment_corrected`). Analysts' decisions survive a new detection: an item they marked
as missed (source "analyst") and an over-redaction they undid (status "kept") stay on their line;
a corrected line moves them to where the same words are now, or drops them when the words are gone.

Who sees what: `must_redact(study, user)` is true when the study redacts personal data and the user
lacks `view_personal_data` (managers); `None`, a context without a user, is redacted. Every page,
export and API response that shows transcript text builds one `Redactor` per request and passes
each text through it; when `.active` is False everything passes through unchanged.

    must_redact(study, user) -> bool
    refuse_originals(study, user, *, what)  # a 403 for files that only exist as said (the REFI-QDA project)
    redactor(session, *, study, user, interview_ids=None) -> Redactor     # the spans in one query
    interview_redactor(session, *, interview, user) -> Redactor           # one interview's
    passthrough() -> Redactor           # changes nothing
    Redactor.active, .language          # placeholders' language: the study's, 'en' when it is auto
                                        # (reports.in_language: the page's)
    Redactor.segment_text(segment) -> str
    Redactor.unit_text(unit) -> str     # the quote with its line's spans (and the next lines' when it runs on)
    Redactor.unit_reason(unit) -> str   # the unit's reason-why, a piece of its quote
    Redactor.text(text, *, language=None, interview_id=None) -> str
        # free text (a story's prose, a rating's quote), read in `language` (None: detect_language on
        # the text; placeholders stay in .language): detect_pii now, with the interviews' known
        # names and the items found or marked in their transcripts; analysts' "not personal data" kept
    Redactor.texts(values) -> list[str]    # text() of each (a proposal's keyphrases)
    Redactor.code_text(text) -> dict       # a code's (or translation's) name, description, examples through text()
    Redactor.codebook_dict(data) -> dict    # every code of a codebook through code_text()
    Redactor.name(value) -> str         # a person's name in metadata (respondent, interviewer)
    Redactor.speaker_name(speaker) -> str   # a speaker's display name when it is a person's
    Redactor.spans_for_segment(segment_id) -> list[(start, end, entity)]  # redacted spans
    Redactor.marks_for_segment(segment_id) -> list[PiiSpan]  # both statuses: the analysts' marks
    Redactor.cut(text, at, marks) -> list[(piece, PiiSpan | None, offset)]   # for templates
    detect_for_interview(session, *, interview, commit=True) -> int   # redacted spans on the interview now
    segment_corrected(session, *, segment, before) -> None
    mark(session, *, user, segment, start_char, end_char, entity, action) -> PiiSpan   # logged
    set_setting(session, *, study, user, enabled, address="") -> Study                   # logged
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, delete, select

from workbench.errors import BadRequest, Forbidden, NotFound
from workbench.models import (
    CodedUnit,
    Interview,
    PiiSpan,
    Speaker,
    Study,
    TranscriptSegment,
    User,
    utcnow,
)
from workbench.permissions import Permission, can
from workbench.services import audit

ACTIONS = ("redact", "keep")
ENTITY_LABELS = {
    "PERSON": "Name", "EMAIL": "E-mail address", "PHONE": "Phone number", "IBAN": "IBAN",
    "FISCAL_CODE": "Codice fiscale", "VAT": "VAT number", "ADDRESS": "Street address", "BIRTH_DATE": "Date of birth",
}
# Speaker names the pipeline or an analyst gives that are roles, not people.
_ROLE_WORDS = {
    "interviewer", "respondent", "participant", "moderator", "speaker", "unknown", "customer", "client", "agent",
    "operator", "caller", "intervistatore", "intervistatrice", "intervistato", "intervistata", "moderatore",
    "moderatrice", "partecipante", "parlante", "cliente", "operatore", "operatrice", "sconosciuto",
}
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.\-]*$")


def must_redact(study: Study, user: User | None) -> bool:
    """Whether `user` sees personal data of `study` as placeholders (None, no user: always, when the study redacts)."""
    if not study.redact_personal_data:
        return False
    return user is None or not can(user.role, Permission.view_personal_data)


def refuse_originals(study: Study, user: User | None, *, what: str) -> None:
    """A 403 for a file that can only carry personal data as said (a REFI-QDA project, whose codings point
    at character offsets of the original text), asked for by someone who must not see it."""
    if must_redact(study, user):
        raise Forbidden(f"{what} carries the transcripts as they were said, and this study redacts personal data "
                        "for your role. Download the coded segments (Excel or CSV) instead, or ask an analyst.")


def placeholder_language(study: Study) -> str:
    return study.language if study.language in ("it", "en") else "en"


def detection_language(interview: Interview, study: Study | None = None) -> str:
    """The language the detector reads a transcript in: its own, else the study's, else English."""
    for language in (interview.transcript_language, interview.language, study.language if study else None):
        if language in ("it", "en"):
            return language
    return "en"


def _said_in(unit: CodedUnit) -> str | None:
    return unit.language if unit.language in ("it", "en") else None


def looks_like_person(name: str) -> bool:
    """'Mario Rossi', 'Dott. Bianchi' yes; 'Interviewer', 'Speaker 2', 'SPEAKER_00' no."""
    words = name.split()
    if not 1 <= len(words) <= 5 or words[0].lower().strip(".") in _ROLE_WORDS:
        return False
    return all(_NAME_WORD.match(w) for w in words) and any(w[0].isupper() for w in words)


def known_names(interview: Interview, speakers: Iterable[Speaker] = ()) -> list[str]:
    """Names the detector is told about: respondent, interviewer and speakers named like people, and their parts."""
    full = [interview.respondent_name, interview.interviewer_name,
            *(s.display_name for s in speakers if looks_like_person(s.display_name))]
    names: list[str] = []
    for name in full:
        name = " ".join((name or "").split())
        if not name or not looks_like_person(name):
            continue
        names.append(name)
        names += [part for part in name.split() if len(part) >= 3 and part[0].isupper() and part.isalpha()]
    return list(dict.fromkeys(names))


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _word_pattern(texts: Iterable[str]) -> re.Pattern | None:
    """One case-insensitive pattern matching any of `texts` as whole words, longest first."""
    unique = sorted({" ".join(t.split()) for t in texts if len(t.strip()) >= 2}, key=len, reverse=True)
    if not unique:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in t.split()) for t in unique)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


# --- who sees what ---------------------------------------------------------------------------------

@dataclass
class Redactor:
    """Applies a study's redaction for one viewer; built once per request by `redactor()`."""

    active: bool
    language: str
    session: Session | None = None
    spans: dict[int, list[PiiSpan]] = field(default_factory=dict)  # segment id -> spans, both statuses
    _segments: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # interview id -> (id, text)
    # per interview, the texts its lines redact (lower-cased, with their entity) and those analysts kept
    _redacted_texts: dict[int, dict[str, str]] = field(default_factory=dict)
    _kept_texts: dict[int, set[str]] = field(default_factory=dict)
    _names: dict[int, list[str]] = field(default_factory=dict)
    _patterns: dict[int | None, re.Pattern | None] = field(default_factory=dict)

    # -- placeholders and marks --
    def placeholder(self, entity: str) -> str:
        from coding.pii import placeholder

        return placeholder(entity, self.language)

    def label(self, entity: str) -> str:
        return ENTITY_LABELS.get(entity, entity.title())

    def marks_for_segment(self, segment_id: int) -> list[PiiSpan]:
        return self.spans.get(segment_id, [])

    def spans_for_segment(self, segment_id: int) -> list[tuple[int, int, str]]:
        return [(s.start_char, s.end_char, s.entity) for s in self.spans.get(segment_id, []) if s.status == "redacted"]

    @staticmethod
    def cut(text: str, at: int, marks: list[PiiSpan]) -> list[tuple[str, PiiSpan | None, int]]:
        """`text`, which starts at offset `at` of its line, cut into plain pieces and marked spans.

        Each piece comes with its own offset in the line (the transcript page's marking needs them).
        """
        pieces: list[tuple[str, PiiSpan | None, int]] = []
        cursor = 0
        for span in sorted(marks, key=lambda s: (s.start_char, -s.end_char)):
            start, end = max(span.start_char - at, cursor), min(span.end_char - at, len(text))
            if end <= start:
                continue
            if start > cursor:
                pieces.append((text[cursor:start], None, at + cursor))
            pieces.append((text[start:end], span, at + start))
            cursor = end
        if cursor < len(text):
            pieces.append((text[cursor:], None, at + cursor))
        return pieces

    # -- transcript text --
    def segment_text(self, segment: TranscriptSegment) -> str:
        if not self.active:
            return segment.text
        return self._apply(segment.text, [s for s in self.spans_for_segment(segment.id) if s[1] <= len(segment.text)])

    def unit_text(self, unit: CodedUnit) -> str:
        if not self.active:
            return unit.text
        spans = self._unit_spans(unit)
        if spans is None:
            return self.text(unit.text, language=_said_in(unit), interview_id=unit.interview_id)
        return self._apply(unit.text, spans)

    def unit_reason(self, unit: CodedUnit) -> str:
        reason = unit.reason or ""
        if not self.active or not reason:
            return reason
        spans = self._unit_spans(unit)
        at = unit.text.find(reason)
        if spans is None or at < 0:
            return self.text(reason, language=_said_in(unit), interview_id=unit.interview_id)
        inside = [(max(s - at, 0), min(e - at, len(reason)), kind) for s, e, kind in spans
                  if _overlaps(s, e, at, at + len(reason))]
        return self._apply(reason, inside)

    def _unit_spans(self, unit: CodedUnit) -> list[tuple[int, int, str]] | None:
        """The redacted spans of a unit's quote in its own offsets, or None when it no longer matches its lines.

        A quote starts at `start_char` of its line and may run on into the speaker's next lines, which
        the coding job joined with one space (`jobs.coding.speaker_turns`).
        """
        if unit.segment_id is None:
            return None
        lines = self._interview_segments(unit.interview_id)
        index = next((n for n, (sid, _) in enumerate(lines) if sid == unit.segment_id), None)
        if index is None:
            return None
        quote, spans, built = unit.text, [], 0
        for n, (segment_id, text) in enumerate(lines[index:]):
            if n == 0:
                base, end = unit.start_char, len(text.rstrip())
                if base > end:
                    return None
            else:
                built += 1  # the space that joined the lines
                base, end = len(text) - len(text.lstrip()), len(text.rstrip())
            piece = text[base:end]
            visible = quote[built:built + len(piece)]
            if not piece.startswith(visible) or (n and quote[built - 1:built] not in (" ", "")):
                return None
            for start, stop, entity in self.spans_for_segment(segment_id):
                s, e = built + max(start - base, 0), built + min(stop - base, len(visible))
                if e > s and stop > base:
                    spans.append((s, e, entity))
            built += len(piece)
            if built >= len(quote):
                return spans
        return spans if built >= len(quote) else None

    def _interview_segments(self, interview_id: int) -> list[tuple[int, str]]:
        if interview_id not in self._segments:
            rows = self.session.exec(select(TranscriptSegment.id, TranscriptSegment.text)
                                     .where(TranscriptSegment.interview_id == interview_id)
                                     .order_by(TranscriptSegment.position)).all() if self.session else []
            self._segments[interview_id] = [(sid, text) for sid, text in rows]
        return self._segments[interview_id]

    def _apply(self, text: str, spans: list[tuple[int, int, str]]) -> str:
        if not spans:
            return text
        from coding.pii import redact_text

        return redact_text(text, spans, self.language)

    # -- free text and metadata --
    def text(self, text: str, *, language: str | None = None, interview_id: int | None = None) -> str:
        """Free text: what the detector finds now, the interviews' names, and the items their lines redact.

        The detector reads `text` in `language`, the language it is written in; when unknown, the one
        `coding.language.detect_language` reads in it (Italian prose through English name detection
        took "ci consiglierebbe" for a name). Placeholders are in `.language`, the page's."""
        if not self.active or not text or not text.strip():
            return text
        from coding.language import detect_language
        from coding.pii import detect_pii

        ids = [interview_id] if interview_id is not None else list(self._names)
        names = [n for i in ids for n in self._names.get(i, [])]
        redacted = {t: e for i in ids for t, e in self._redacted_texts.get(i, {}).items()}
        kept = {t for i in ids for t in self._kept_texts.get(i, set())} - set(redacted)
        language = language if language in ("it", "en") else detect_language(text, default=self.language)
        spans = [(e.start, e.end, e.entity) for e in detect_pii(text, language, names=names)
                 if " ".join(e.text.split()).lower() not in kept]
        if interview_id not in self._patterns:
            self._patterns[interview_id] = _word_pattern([*redacted, *names])
        pattern = self._patterns[interview_id]
        if pattern is not None:
            for match in pattern.finditer(text):
                found = " ".join(match.group(0).split()).lower()
                spans.append((match.start(), match.end(), redacted.get(found, "PERSON")))
        return self._apply(text, spans)

    def texts(self, values: Iterable[str], *, language: str | None = None) -> list[str]:
        """`text()` of each value (a proposal's keyphrases, a code's examples)."""
        return [self.text(v, language=language) for v in values]

    def code_text(self, text: dict, *, language: str | None = None) -> dict:
        """A code's name, description and examples (or one translation's) redacted: a discovered theme's
        label and its "Discovered theme: <keyphrases>" description are words of the answers."""
        out = dict(text)
        for key in ("name", "description"):
            if isinstance(out.get(key), str):
                out[key] = self.text(out[key], language=language)
        if "examples" in out:
            out["examples"] = self.texts(out.get("examples") or [], language=language)
        return out

    def codebook_dict(self, data: dict) -> dict:
        """A codebook's dict (`coding.codebook.Codebook.to_dict`) with its names, descriptions and examples
        redacted (examples are often quotes; discovered themes' names and descriptions are the answers' words)."""
        if not self.active:
            return data
        codes = []
        for code in data.get("codes", []):
            code = self.code_text(code)
            if code.get("translations"):
                code["translations"] = {lang: self.code_text(text, language=lang if lang in ("it", "en") else None)
                                        for lang, text in code["translations"].items()}
            codes.append(code)
        return {**data, "codes": codes}

    def name(self, value: str | None) -> str:
        """A person's name from the interview's metadata (respondent, interviewer)."""
        if not self.active or not value or not value.strip():
            return value or ""
        return self.placeholder("PERSON")

    def speaker_name(self, speaker: Speaker | None) -> str:
        if speaker is None:
            return ""
        if self.active and looks_like_person(speaker.display_name):
            return self.placeholder("PERSON")
        return speaker.display_name


def passthrough() -> Redactor:
    """A Redactor that changes nothing (callers that were given none)."""
    return Redactor(active=False, language="en")


def redactor(session: Session, *, study: Study, user: User | None,
             interview_ids: Iterable[int] | None = None) -> Redactor:
    """The redaction `user` gets on `study` (one interview's or all of them), its spans read in one query.

    Spans are read whenever the study redacts, also for viewers who see the originals: the transcript
    page marks them for analysts to check.
    """
    active = must_redact(study, user)
    result = Redactor(active=active, language=placeholder_language(study), session=session)
    if not study.redact_personal_data:
        return result
    ids = list(interview_ids) if interview_ids is not None else None
    query = select(PiiSpan, TranscriptSegment.text).join(TranscriptSegment, TranscriptSegment.id == PiiSpan.segment_id)
    if ids is not None:
        query = query.where(PiiSpan.interview_id.in_(ids or [0]))
    else:
        query = query.join(Interview, Interview.id == PiiSpan.interview_id).where(Interview.study_id == study.id)
    for span, text in session.exec(query.order_by(PiiSpan.segment_id, PiiSpan.start_char)):
        if span.end_char > len(text):
            continue  # offsets from before a correction that was not re-detected: never show a wrong piece
        result.spans.setdefault(span.segment_id, []).append(span)
        words = " ".join(text[span.start_char:span.end_char].split()).lower()
        if span.status == "redacted":
            result._redacted_texts.setdefault(span.interview_id, {}).setdefault(words, span.entity)
        else:
            result._kept_texts.setdefault(span.interview_id, set()).add(words)
    if active:
        interviews = session.exec(select(Interview).where(
            Interview.id.in_(ids or [0]) if ids is not None else Interview.study_id == study.id)).all()
        speakers: dict[int, list[Speaker]] = defaultdict(list)
        for speaker in session.exec(select(Speaker).where(Speaker.interview_id.in_([i.id for i in interviews] or [0]))):
            speakers[speaker.interview_id].append(speaker)
        result._names = {i.id: known_names(i, speakers[i.id]) for i in interviews}
    return result


def interview_redactor(session: Session, *, interview: Interview, user: User | None) -> Redactor:
    """One interview's redaction for `user` (its transcript, coding and files)."""
    study = session.get(Study, interview.study_id)
    if study is None:
        raise NotFound(f"There is no study #{interview.study_id}.")
    return redactor(session, study=study, user=user, interview_ids=[interview.id])


# --- detection ---------------------------------------------------------------------------------------

@dataclass
class DetectionInput:
    """What detection needs, read in one session and used without one (the coding job's compute step)."""

    interview_id: int
    language: str
    names: list[str]
    segments: list[tuple[int, str]]


def detection_inputs(session: Session, *, interview: Interview) -> DetectionInput:
    from workbench.services.transcripts import segments_of, speakers_of

    study = session.get(Study, interview.study_id)
    return DetectionInput(
        interview_id=interview.id, language=detection_language(interview, study),
        names=known_names(interview, speakers_of(session, interview_id=interview.id)),
        segments=[(s.id, s.text) for s in segments_of(session, interview_id=interview.id)])


def detect_spans(inputs: DetectionInput) -> dict[int, list[tuple[int, int, str, float]]]:
    """Run the detector on every line (no database): segment id -> (start, end, entity, score)."""
    from coding.pii import detect_pii

    return {segment_id: [(e.start, e.end, e.entity, float(e.score))
                         for e in detect_pii(text, inputs.language, names=inputs.names)]
            for segment_id, text in inputs.segments if text.strip()}


def store_detections(session: Session, *, inputs: DetectionInput,
                     found: dict[int, list[tuple[int, int, str, float]]]) -> int:
    """Replace the detector's undecided spans of the interview, keeping analysts' decisions (the caller commits).

    A line whose text changed since `inputs` were read is detected again here. Returns the number
    of redacted spans the interview has now.
    """
    from workbench.services.transcripts import segments_of

    read = dict(inputs.segments)
    segments = {s.id: s for s in segments_of(session, interview_id=inputs.interview_id)}
    existing: dict[int, list[PiiSpan]] = defaultdict(list)
    for span in session.exec(select(PiiSpan).where(PiiSpan.interview_id == inputs.interview_id)):
        existing[span.segment_id].append(span)
    for segment_id, spans in existing.items():
        if segment_id not in segments:
            for span in spans:
                session.delete(span)
    redacted = 0
    for segment in segments.values():
        detections = found.get(segment.id, [])
        if read.get(segment.id) != segment.text:
            detections = detect_spans(DetectionInput(inputs.interview_id, inputs.language, inputs.names,
                                                     [(segment.id, segment.text)])).get(segment.id, [])
        redacted += _store_line(session, segment=segment, spans=existing.get(segment.id, []), detections=detections)
    session.flush()
    return redacted


def _store_line(session: Session, *, segment: TranscriptSegment, spans: list[PiiSpan],
                detections: list[tuple[int, int, str, float]]) -> int:
    """One line's spans: decided ones stay (when they fit the text), the detector's are replaced."""
    decided = [s for s in spans if (s.source == "analyst" or s.status == "kept") and s.end_char <= len(segment.text)]
    decided_ids = {id(s) for s in decided}
    undecided = {(s.start_char, s.end_char, s.entity): s for s in spans if id(s) not in decided_ids}
    now = list(decided)
    for start, end, entity, score in detections:
        if any(_overlaps(start, end, d.start_char, d.end_char) for d in decided):
            continue  # an analyst decided this stretch already
        span = undecided.pop((start, end, entity), None)
        if span is None:
            span = PiiSpan(interview_id=segment.interview_id, segment_id=segment.id, start_char=start, end_char=end,
                           entity=entity)
        span.score = score
        session.add(span)
        now.append(span)
    staying = {id(s) for s in now}
    for span in spans:
        if id(span) not in staying:
            session.delete(span)  # the detector no longer finds it, or a decision no longer fits the line
    return sum(1 for s in now if s.status == "redacted")


def detect_for_interview(session: Session, *, interview: Interview, commit: bool = True) -> int:
    """(Re)compute the detector's spans on every line of the interview, keeping analysts' decisions.

    Commits unless `commit` is False (an import that commits everything at once).
    """
    inputs = detection_inputs(session, interview=interview)
    count = store_detections(session, inputs=inputs, found=detect_spans(inputs))
    if commit:
        session.commit()
    return count


def segment_corrected(session: Session, *, segment: TranscriptSegment, before: str) -> None:
    """A line was corrected: its decisions follow their words (or go), its detector spans are recomputed; commits."""
    if segment.text == before:
        return
    spans = list(session.exec(select(PiiSpan).where(PiiSpan.segment_id == segment.id)))
    for span in spans:
        if span.source == "analyst" or span.status == "kept":
            words = before[span.start_char:span.end_char]
            at = _nearest(segment.text, words, span.start_char) if words.strip() else -1
            if at < 0:
                session.delete(span)
            else:
                span.start_char, span.end_char = at, at + len(words)
                session.add(span)
    session.flush()
    interview = session.get(Interview, segment.interview_id)
    inputs = detection_inputs(session, interview=interview)
    inputs.segments = [(segment.id, segment.text)]
    remaining = [s for s in session.exec(select(PiiSpan).where(PiiSpan.segment_id == segment.id))]
    _store_line(session, segment=segment, spans=remaining, detections=detect_spans(inputs).get(segment.id, []))
    session.commit()


def _nearest(text: str, words: str, near: int) -> int:
    """Where `words` occur in `text` as whole words, the occurrence nearest `near`; -1 when they are gone."""
    found = [m.start() for m in re.finditer(rf"(?<!\w){re.escape(words)}(?!\w)", text)]
    return min(found, key=lambda at: abs(at - near)) if found else -1


def delete_spans(session: Session, *, interview_id: int) -> None:
    """Remove an interview's spans (before its lines are replaced or deleted; the caller commits)."""
    session.exec(delete(PiiSpan).where(PiiSpan.interview_id == interview_id))  # type: ignore[call-overload]


# --- analysts' corrections and the study setting ----------------------------------------------------

def mark(session: Session, *, user: User, segment: TranscriptSegment, start_char: int, end_char: int,
         entity: str = "PERSON", action: str = "redact", address: str = "") -> PiiSpan:
    """An analyst marks a missed item ("redact") or undoes an over-redaction ("keep"); logged, committed."""
    from coding.pii import ENTITY_TYPES

    if action not in ACTIONS:
        raise BadRequest(f"Unknown action '{action}'. Use 'redact' to hide personal data or 'keep' to show it.")
    text = segment.text
    if not 0 <= start_char < end_char <= len(text):
        raise BadRequest(f"Select a piece of the line (characters 0 to {len(text)}), then try again.")
    # the selection's surrounding spaces are not part of the item
    start_char += len(text[start_char:end_char]) - len(text[start_char:end_char].lstrip())
    end_char -= len(text[start_char:end_char]) - len(text[start_char:end_char].rstrip())
    if end_char <= start_char:
        raise BadRequest("The selection holds only spaces. Select the words to redact.")
    spans = list(session.exec(select(PiiSpan).where(PiiSpan.segment_id == segment.id)))
    now = utcnow()
    if action == "redact":
        if entity not in ENTITY_TYPES:
            raise BadRequest(f"Unknown kind of personal data '{entity}'. Choose one of: {', '.join(ENTITY_TYPES)}.")
        result = next((s for s in spans if s.start_char == start_char and s.end_char == end_char), None)
        for span in spans:  # an earlier "not personal data" over this stretch no longer holds
            if span is not result and span.status == "kept" and _overlaps(start_char, end_char, span.start_char,
                                                                           span.end_char):
                session.delete(span)
        if result is None:
            result = PiiSpan(interview_id=segment.interview_id, segment_id=segment.id, start_char=start_char,
                             end_char=end_char, entity=entity, score=1.0, source="analyst")
        result.entity, result.status, result.decided_by, result.decided_at = entity, "redacted", user.id, now
        session.add(result)
        touched = [result]
    else:
        touched = [s for s in spans if s.status == "redacted"
                   and _overlaps(start_char, end_char, s.start_char, s.end_char)]
        if not touched:
            raise NotFound("Nothing is redacted there. Reload the page to see the current marks.")
        for span in touched:
            span.status, span.decided_by, span.decided_at = "kept", user.id, now
            session.add(span)
        result = touched[0]
    session.commit()
    interview = session.get(Interview, segment.interview_id)
    audit.record(session, user=user, action="redaction.mark", study_id=interview.study_id if interview else None,
                 target=f"interview:{segment.interview_id}",
                 detail={"segment": segment.id, "action": action, "entities": sorted({s.entity for s in touched}),
                         "start": start_char, "end": end_char, "spans": [s.id for s in touched]},
                 address=address)
    return result


def set_setting(session: Session, *, study: Study, user: User, enabled: bool, address: str = "") -> Study:
    """Turn *Redact personal data* on or off for a study; logged, committed."""
    if study.redact_personal_data != enabled:
        study.redact_personal_data = enabled
        session.add(study)
        session.commit()
        session.refresh(study)
        audit.record(session, user=user, action="redaction.setting", study_id=study.id, target=f"study:{study.id}",
                     detail={"redact_personal_data": enabled}, address=address)
    return study


def count_spans(session: Session, *, study_id: int) -> dict[str, int]:
    """Redacted items per entity type in a study (the study page's summary)."""
    counts: dict[str, int] = defaultdict(int)
    for entity in session.exec(select(PiiSpan.entity).join(Interview, Interview.id == PiiSpan.interview_id)
                               .where(Interview.study_id == study_id, PiiSpan.status == "redacted")):
        counts[entity] += 1
    return dict(counts)
