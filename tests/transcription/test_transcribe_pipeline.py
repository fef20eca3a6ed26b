"""transcribe() with fake engines: steps, errors and warnings, no model weights."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from transcription import (
    AudioTooLong,
    EmptyAudio,
    Segment,
    TranscriptionError,
    UnsupportedAudio,
    Word,
    transcribe,
)
from transcription.engines import AsrEngine, FasterWhisperEngine, get_engine
from transcription.pipeline import NO_SPEECH_WARNING

PACKAGE = Path(__file__).parents[2] / "transcription"


class FakeEngine:
    """Returns canned segments and records what it was asked."""

    name = "fake"

    def __init__(self, segments: list[Segment] | None = None, language: str = "en") -> None:
        self.segments = segments if segments is not None else []
        self.language = language
        self.calls: list[dict[str, Any]] = []

    def transcribe(
        self, audio: np.ndarray, *, language: str | None, progress: Any
    ) -> tuple[str, list[Segment]]:
        self.calls.append({"samples": len(audio), "dtype": audio.dtype, "language": language})
        if progress:
            progress("transcribing", 3, 3)
        return language or self.language, self.segments


@pytest.fixture
def wav(tmp_path: Path) -> Callable[[float], Path]:
    def make(seconds: float = 3.0, rate: int = 8000) -> Path:
        path = tmp_path / f"clip_{seconds}.wav"
        t = np.arange(int(seconds * rate)) / rate
        sf.write(path, (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), rate)
        return path

    return make


def test_runs_engine_on_16k_mono_and_reports_steps(wav: Callable[..., Path]) -> None:
    steps: list[tuple[str, int, int]] = []
    engine = FakeEngine(
        [Segment(0.2, 1.5, "Hello there", speaker="X", words=[Word(0.2, 0.6, " Hello", 0.9)])]
    )

    result = transcribe(wav(3.0), engine=engine, progress=lambda *a: steps.append(a))

    assert engine.calls == [{"samples": 48000, "dtype": np.float32, "language": None}]
    assert steps == [("decoding", 0, 1), ("decoding", 1, 1), ("transcribing", 3, 3)]
    assert result.language == "en" and result.engine == "fake"
    assert result.duration == pytest.approx(3.0)
    assert result.text == "Hello there" and result.warnings == []
    assert result.segments[0].speaker == "X"  # an engine that knows speakers keeps them
    assert result.segments[0].words[0].word == " Hello"


@pytest.mark.parametrize(
    ("given", "passed"), [("auto", None), ("", None), (None, None), ("IT", "it")]
)
def test_language_is_normalised(
    wav: Callable[..., Path], given: str | None, passed: str | None
) -> None:
    engine = FakeEngine([Segment(0, 1, "ciao")])
    transcribe(wav(1.0), engine=engine, language=given)
    assert engine.calls[0]["language"] == passed


def test_no_speech_gives_warning_not_crash(wav: Callable[..., Path]) -> None:
    result = transcribe(wav(1.0), engine=FakeEngine([]))
    assert result.segments == [] and result.warnings == [NO_SPEECH_WARNING]


def test_timestamps_are_clipped_to_the_audio(wav: Callable[..., Path]) -> None:
    engine = FakeEngine([Segment(1.5, 2.3, "end", words=[Word(1.5, 2.4, " end", 0.8)])])
    seg = transcribe(wav(2.0), engine=engine).segments[0]
    assert seg.end == 2.0 and seg.words[0].end == 2.0


def test_too_long_is_refused_before_recognition(wav: Callable[..., Path]) -> None:
    engine = FakeEngine()
    with pytest.raises(AudioTooLong, match="Split it"):
        transcribe(wav(3.0), engine=engine, max_duration=2.0)
    assert engine.calls == []
    transcribe(wav(3.0), engine=engine, max_duration=3.0)


def test_bad_audio_never_reaches_the_engine(tmp_path: Path) -> None:
    engine = FakeEngine()
    (tmp_path / "a.mp3").write_text("not audio")
    (tmp_path / "b.wav").touch()
    with pytest.raises(UnsupportedAudio):
        transcribe(tmp_path / "a.mp3", engine=engine)
    with pytest.raises(EmptyAudio):
        transcribe(tmp_path / "b.wav", engine=engine)
    assert engine.calls == []


def fake_whisper_model(segments: list[Any], language: str = "it") -> Any:
    def run(audio: np.ndarray, **options: Any) -> tuple[Any, Any]:
        run.options = options  # type: ignore[attr-defined]
        return iter(segments), SimpleNamespace(language=language, duration=len(audio) / 16000)

    return SimpleNamespace(transcribe=run, supported_languages=["en", "it"])


def fw_segment(start: float, end: float, text: str, no_speech: float = 0.01) -> Any:
    word = SimpleNamespace(
        start=np.float64(start), end=np.float64(end), word=f" {text}", probability=np.float64(0.9)
    )
    return SimpleNamespace(
        start=start,
        end=end,
        text=f" {text}",
        words=[word],
        no_speech_prob=no_speech,
        avg_logprob=-0.2,
    )


def test_faster_whisper_engine_streams_progress_and_filters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = fake_whisper_model(
        [fw_segment(0.0, 4.2, "Buongiorno"), fw_segment(5.0, 6.0, "Grazie", no_speech=0.99)]
        + [fw_segment(6.0 + i, 7.0 + i, "Ciao") for i in range(3)]
    )
    engine = FasterWhisperEngine("/nowhere")
    monkeypatch.setattr(engine, "_model", lambda: model)
    steps: list[tuple[str, int, int]] = []

    # The no-speech segment has a good logprob, so it stays: both signals are needed.
    language, segments = engine.transcribe(
        np.zeros(16000 * 10, np.float32), language=None, progress=lambda *a: steps.append(a)
    )

    assert language == "it"
    assert [s.text for s in segments] == ["Buongiorno", "Grazie", "Ciao"]
    assert type(segments[0].words[0].start) is float
    assert steps[0] == ("transcribing", 0, 10) and steps[1] == ("transcribing", 4, 10)
    assert steps[-1] == ("transcribing", 10, 10)
    assert all(isinstance(done, int) for _, done, _ in steps)
    options = model.transcribe.options
    assert options["condition_on_previous_text"] is False and options["word_timestamps"] is True
    assert options["vad_filter"] is True and options["beam_size"] == 5


def test_faster_whisper_engine_rejects_unknown_language(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FasterWhisperEngine("/nowhere")
    monkeypatch.setattr(engine, "_model", lambda: fake_whisper_model([]))
    with pytest.raises(TranscriptionError, match="Unknown language code 'xx'.*en, it"):
        engine.transcribe(np.zeros(16000, np.float32), language="xx", progress=None)


def test_get_engine() -> None:
    engine = get_engine("faster-whisper", model_dir="/models/x", beam_size=1)
    assert isinstance(engine, FasterWhisperEngine) and isinstance(engine, AsrEngine)
    assert engine.name == "faster-whisper" and engine.beam_size == 1
    with pytest.raises(ValueError, match="supported: faster-whisper, openai-whisper"):
        get_engine("nope")


def test_importing_the_package_loads_no_heavy_libraries() -> None:
    code = (
        "import sys, transcription; "
        "from transcription import Transcript, TranscriptionError; "
        "heavy = [m for m in ('torch', 'faster_whisper', 'ctranslate2', 'av') if m in sys.modules]; "
        "print(heavy); assert callable(transcription.transcribe)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_library_does_not_import_the_app() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+(workbench|fastapi|sqlmodel)\b", re.MULTILINE)
    offenders = [p.name for p in PACKAGE.glob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
