"""Demo recordings benchmark: does Whisper read the demo's synthetic calls? (`make bench-demo`)

Each interview of workbench/demo/study.json goes through the workbench's default pipeline,
as the transcription job runs it for a phone study: `transcription.pipeline.transcribe`
with the interview's language, the default engine (faster-whisper with the options of
workbench.settings), diarization as configured by default with two speakers, and the
guide questions for role detection. Reported per interview and pooled per language:

- WER of the transcript against the script's text (benchmarks/_wer.py normalisation on
  both sides; every turn of both parties counts, names and greetings included);
- speaker attribution: the transcript's words are aligned to the script's words
  (difflib on normalised words); of the words that match, the share whose segment's
  detected role (interviewer / respondent) is the party that says it in the script;
- names heard: of the glossary terms and the interview's names (account, people, product
  line) that the script says, how many the transcript spells right.

Each interview runs twice: without the study's vocabulary, and with it as the job passes
it (the decoding prompt built from the study glossary, guide and names, then respelling).

    python -m benchmarks.demo
"""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks._load import LoadSampler
from benchmarks._report import ROOT, machine, markdown_table, record
from benchmarks._wer import normalise, word_errors

TITLE = "Demo recordings"
STUDY = ROOT / "workbench" / "demo" / "study.json"
TARGET_WER = 0.10
LANG_NAMES = {"en": "English", "it": "Italian"}
FORMATS = {
    ".ogg": "Opus/Ogg, mono", ".wav": "8 kHz mu-law, phone band", ".flac": "split-stereo FLAC",
    ".m4a": "AAC/MP4, mono",
}


def load_study(path: Path = STUDY) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def script_words(script: Iterable[Sequence[str]], language: str) -> list[tuple[str, str]]:
    """The script as (normalised word, role) pairs, in order."""
    return [(word, role) for role, text in script for word in normalise(text, language).split()]


def transcript_words(segments: Iterable[tuple[str, str]], language: str) -> list[tuple[str, str]]:
    """(segment text, detected role) pairs as (normalised word, role) pairs, in order."""
    return [(word, role) for text, role in segments for word in normalise(text, language).split()]


def attribution(reference: Sequence[tuple[str, str]],
                hypothesis: Sequence[tuple[str, str]]) -> tuple[int, int]:
    """(words with the right role, words matched) after aligning hypothesis to reference."""
    matcher = difflib.SequenceMatcher(a=[w for w, _ in reference], b=[w for w, _ in hypothesis],
                                      autojunk=False)
    right = matched = 0
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            matched += 1
            right += reference[block.a + k][1] == hypothesis[block.b + k][1]
    return right, matched


def names_heard(names: Iterable[str], script: str, transcript: str, language: str) -> tuple[int, int]:
    """(names the transcript has, names the script says), after normalising all three."""
    said = [n for n in {normalise(name, language) for name in names} if n and f" {n} " in f" {script} "]
    return sum(f" {n} " in f" {transcript} " for n in said), len(said)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def measure(load: LoadSampler) -> str:
    from benchmarks.asr import DEFAULT_ENGINE, build_engine, describe_options
    from transcription.pipeline import SpeakerOptions, transcribe
    from workbench.settings import Settings

    study = load_study()
    diarize = Settings.model_fields["diarization"].default
    options = SpeakerOptions(diarize=diarize, num_speakers=2,
                             guide_questions=tuple(q["text"] for q in study["guide"]))
    from transcription.glossary import build_hints, parse_glossary
    from workbench.services.glossary import NAME_FIELDS

    glossary = parse_glossary(study.get("glossary", ""))
    guide = [q["text"] for q in study["guide"]]
    start = time.perf_counter()
    engine = build_engine(DEFAULT_ENGINE)
    rows: list[list[Any]] = []
    pooled: dict[tuple[str, str], dict[str, float]] = {}
    total_audio = total_wall = 0.0
    for item in study["interviews"]:
        path = STUDY.parent / item["audio"]
        language = item["language"]
        names = [item.get(field) or "" for field in NAME_FIELDS] + [t.canonical for t in glossary.terms]
        hints = build_hints(glossary, guide, [n for n in names[: len(NAME_FIELDS)] if n], language)
        for vocabulary, extra in (("without", {}), ("with", {"hints": hints, "glossary": glossary})):
            wall = time.perf_counter()
            transcript = transcribe(path, language=language, engine=engine, speakers=options, **extra)
            wall = time.perf_counter() - wall
            total_audio += transcript.duration
            total_wall += wall
            reference = normalise(" ".join(text for _, text in item["script"]), language)
            hypothesis = normalise(" ".join(s.text for s in transcript.segments), language)
            errors, words = word_errors([reference], [hypothesis])
            heard, said = names_heard(names, reference, hypothesis, language)
            roles = {s.id: s.role for s in transcript.speakers}
            right = matched = 0
            if diarize:
                right, matched = attribution(
                    script_words(item["script"], language),
                    transcript_words(((s.text, roles.get(s.speaker or "", "unknown"))
                                      for s in transcript.segments), language))
            acc = pooled.setdefault((language, vocabulary), dict.fromkeys(
                ("errors", "words", "right", "matched", "heard", "said", "n"), 0))
            for key, value in (("errors", errors), ("words", words), ("right", right),
                               ("matched", matched), ("heard", heard), ("said", said), ("n", 1)):
                acc[key] += value
            rows.append([path.name, LANG_NAMES.get(language, language), vocabulary,
                         FORMATS.get(path.suffix, path.suffix), f"{transcript.duration:.0f} s",
                         f"{errors}/{words}", _pct(errors / words), f"{heard}/{said}",
                         _pct(right / matched if matched else None),
                         f"{wall / transcript.duration:.2f}"])
            print(f"{path.name} ({vocabulary} vocabulary): WER {errors}/{words} = "
                  f"{100 * errors / words:.1f} %, names {heard}/{said}, attribution "
                  f"{right}/{matched}, {wall:.0f} s", flush=True)
    elapsed = time.perf_counter() - start

    summary = []
    for (language, vocabulary), acc in sorted(pooled.items()):
        rate = acc["errors"] / acc["words"]
        summary.append([LANG_NAMES.get(language, language), vocabulary, int(acc["n"]),
                        f"{int(acc['errors'])}/{int(acc['words'])}", _pct(rate),
                        f"≤ {100 * TARGET_WER:.0f} %", "yes" if rate <= TARGET_WER else "**no**",
                        f"{int(acc['heard'])}/{int(acc['said'])}",
                        _pct(acc["right"] / acc["matched"] if acc["matched"] else None)])
    return "\n".join([
        ("Whisper base on the demo study's own synthetic recordings (workbench/demo/audio, made by "
        "scripts/make_demo_audio.py with Kokoro-82M voices), against the scripts in "
        "workbench/demo/study.json. Default pipeline as the transcription job runs it for a phone "
        f"study: engine {DEFAULT_ENGINE} ({describe_options(DEFAULT_ENGINE)}), language from the "
        f"interview, diarization {'on' if diarize else 'off'} with 2 speakers, roles from the guide. "
        "WER pools word errors over all turns of both parties (corpus WER, benchmarks/_wer.py "
        "normalisation). Attribution: share of the transcript's words that match the script "
        "(difflib alignment) and sit in a segment whose detected role is the party that says them."),
        "",
        markdown_table(["Language", "Study vocabulary", "Interviews", "Errors / words", "WER",
                        "Target", "Met", "Names heard", "Attribution"], summary),
        "",
        markdown_table(["File", "Language", "Study vocabulary", "Format", "Length", "Errors / words",
                        "WER", "Names heard", "Attribution", "RTF"], rows),
        "",
        (f"{total_audio / 60:.1f} minutes of audio in {elapsed / 60:.1f} minutes including model loading "
        f"(RTF {total_wall / total_audio:.2f} over the files); one process, the engine's default threads. "
        "Machine load: "
        f"{{LOAD}}."),
        "",
        ("These are text-to-speech voices reading a script: the figures say the demo is legible to "
        "the pipeline, not how it does on real calls (see Speech recognition above)."),
    ])


def main() -> None:
    machine_line = machine()
    with LoadSampler(every=5.0) as load:
        body = measure(load)
    record(TITLE, body.replace("{LOAD}", load.summary()), machine_line=machine_line)


if __name__ == "__main__":
    main()
