"""Speech recognition engines behind one small interface."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, SupportsFloat, runtime_checkable

import numpy as np

from .errors import TranscriptionError
from .schema import Progress, Segment, Word

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from faster_whisper.transcribe import Segment as FasterWhisperSegment

SAMPLE_RATE = 16000

# Whisper's own thresholds for "this window is silence": a likely-silent window decoded
# with low confidence is a hallucination ("Thank you.", "Subtitles by ...").
NO_SPEECH_PROB = 0.6
LOW_AVG_LOGPROB = -1.0
# Silero's speech probability above which a frame is speech. Its default, 0.5, drops quiet
# and sad voices and the first word of a turn on phone lines; 0.3 was chosen on the English
# clips and one EMOVO speaker, checked on the other (docs/benchmarks.md, decoding settings).
VAD_THRESHOLD = 0.3
# A looping decoder repeats one line; two in a row can be real speech ("Yes." "Yes."),
# three or more are dropped down to the first.
MAX_REPEATS = 2


@dataclass(frozen=True)
class DecodingHints:
    """Words the decoder should expect: a study's glossary, guide and names.

    `prompt` becomes Whisper's initial prompt (text "heard before" the audio, which sets
    spelling and style); `hotwords` are terms faster-whisper favours in every window.
    Engines without hotwords fold them into the prompt.
    """

    prompt: str | None = None
    hotwords: str | None = None


@runtime_checkable
class AsrEngine(Protocol):
    """Turns 16 kHz mono float32 audio into a language code and timed segments."""

    name: str

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None,
        progress: Progress | None,
        hints: DecodingHints | None = None,
    ) -> tuple[str, list[Segment]]: ...


@dataclass
class RawSegment:
    """An engine's segment before filtering, with the confidences the filters need."""

    segment: Segment
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0


def is_silence_hallucination(no_speech_prob: float, avg_logprob: float) -> bool:
    """True when the model thought the window silent and was unsure of what it wrote."""
    return no_speech_prob > NO_SPEECH_PROB and avg_logprob < LOW_AVG_LOGPROB


def _normalise(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def drop_hallucinations(raw: Iterable[RawSegment]) -> list[Segment]:
    """Drop empty segments, silence hallucinations, and runs of 3+ identical lines past the first."""
    kept: list[Segment] = []
    run: list[Segment] = []

    def flush() -> None:
        kept.extend(run if len(run) <= MAX_REPEATS else run[:1])
        run.clear()

    for item in raw:
        text = _normalise(item.segment.text)
        if not text or is_silence_hallucination(item.no_speech_prob, item.avg_logprob):
            continue
        if run and _normalise(run[-1].text) != text:
            flush()
        run.append(item.segment)
    flush()
    return kept


class FasterWhisperEngine:
    """Whisper through CTranslate2 (faster-whisper); int8 on CPU by default."""

    name = "faster-whisper"

    def __init__(
        self,
        model_dir: str,
        device: str = "cpu",
        compute_type: str = "int8",
        beam_size: int = 5,
        vad_filter: bool = True,
        cpu_threads: int = 1,
        batch_size: int = 0,
        vad_threshold: float = VAD_THRESHOLD,
    ) -> None:
        self.model_dir = str(model_dir)
        self.vad_threshold = vad_threshold
        # 0 decodes one 30-second window after another; N > 0 decodes N speech windows
        # (cut by Silero VAD) together through faster-whisper's BatchedInferencePipeline.
        self.batch_size = batch_size
        self.device = device
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.vad_filter = vad_filter
        self.cpu_threads = cpu_threads

    def _model(self) -> WhisperModel:
        from .models import load_faster_whisper

        return load_faster_whisper(self.model_dir, self.device, self.compute_type, self.cpu_threads)

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None,
        progress: Progress | None,
        hints: DecodingHints | None = None,
    ) -> tuple[str, list[Segment]]:
        """Transcribe with word timestamps; progress is ("transcribing", seconds, total)."""
        hints = hints or DecodingHints()
        model = self._model()
        if language is not None and language not in model.supported_languages:
            raise TranscriptionError(
                f"Unknown language code {language!r}. Choose automatic detection or one of: "
                f"{', '.join(model.supported_languages)}."
            )
        total = max(1, round(len(audio) / SAMPLE_RATE))
        report = progress or (lambda step, done, of: None)
        report("transcribing", 0, total)
        options: dict[str, Any] = {"vad_filter": self.vad_filter,
                                   "vad_parameters": {"threshold": self.vad_threshold}}
        if self.batch_size > 0:
            from faster_whisper import BatchedInferencePipeline

            # The batched pipeline needs speech windows, which only VAD gives it.
            model = BatchedInferencePipeline(model)
            options.update(batch_size=self.batch_size, vad_filter=True)
        stream, info = model.transcribe(
            audio,
            language=language,
            beam_size=self.beam_size,
            **options,
            word_timestamps=True,
            # Conditioning on earlier text is what lets one mistake loop for minutes.
            condition_on_previous_text=False,
            initial_prompt=hints.prompt or None,
            hotwords=hints.hotwords or None,
        )
        raw: list[RawSegment] = []
        for seg in stream:
            raw.append(_convert(seg))
            report("transcribing", min(total, round(seg.end)), total)
        report("transcribing", total, total)
        return info.language, drop_hallucinations(raw)


def _seconds(value: SupportsFloat) -> float:
    # faster-whisper hands back numpy scalars; plain floats keep to_dict() JSON-clean.
    return round(float(value), 3)


def _convert(seg: FasterWhisperSegment) -> RawSegment:
    words = [
        Word(
            start=_seconds(w.start),
            end=_seconds(w.end),
            word=str(w.word),
            probability=round(float(w.probability), 4),
        )
        for w in (seg.words or [])
    ]
    segment = Segment(
        start=_seconds(seg.start), end=_seconds(seg.end), text=str(seg.text).strip(), words=words
    )
    return RawSegment(segment, float(seg.no_speech_prob), float(seg.avg_logprob))


_ENGINES: dict[str, type] = {FasterWhisperEngine.name: FasterWhisperEngine}
# Engines whose modules pull heavy imports, loaded on first request: name -> (module, class).
_LAZY_ENGINES: dict[str, tuple[str, str]] = {
    "openai-whisper": (".openai_whisper", "OpenAIWhisperEngine"),
}


def supported_engines() -> Sequence[str]:
    """Names accepted by get_engine."""
    return (*_ENGINES, *_LAZY_ENGINES)


def get_engine(name: str, **options: Any) -> AsrEngine:  # noqa: ANN401 - each engine has its own options
    """Build the engine called `name` with engine-specific keyword options."""
    cls = _ENGINES.get(name)
    if cls is None and name in _LAZY_ENGINES:
        from importlib import import_module

        module, attr = _LAZY_ENGINES[name]
        cls = getattr(import_module(module, __package__), attr)
    if cls is None:
        raise ValueError(
            f"Unknown speech recognition engine {name!r}; "
            f"supported: {', '.join(supported_engines())}."
        )
    engine: AsrEngine = cls(**options)
    return engine
