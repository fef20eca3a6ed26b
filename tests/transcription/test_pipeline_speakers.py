"""The pipeline's speaker step on a split-stereo call (no models: channels are the diarization)."""

from pathlib import Path

from transcription.pipeline import SpeakerOptions, transcribe
from transcription.schema import Segment, Word

DEMO_STEREO = Path(__file__).resolve().parents[2] / "workbench" / "demo" / "audio" / "en_01.flac"


class TwoTurnEngine:
    """One Whisper-like segment that spans both parties, as real engines often return."""

    name = "two-turn"

    def transcribe(self, audio, *, language, progress):
        words = [Word(1.0, 1.4, " How", 0.9), Word(1.4, 1.9, " likely?", 0.9),
                 Word(8.6, 9.0, " Eight,", 0.9), Word(9.0, 9.6, " because...", 0.9)]
        return "en", [Segment(1.0, 9.6, "How likely? Eight, because...", words=words)]


def _split_stereo(path: Path) -> Path:
    """The demo's call-recorder file: interviewer on the left (0.4-7.7 s), respondent on the right (8.3-9.8 s)."""
    return DEMO_STEREO


def test_a_split_stereo_call_is_diarized_by_channel_and_split_at_the_change(tmp_path):
    result = transcribe(_split_stereo(tmp_path / "call.wav"), engine=TwoTurnEngine(),
                        speakers=SpeakerOptions(diarize=True, num_speakers=2,
                                                guide_questions=("How likely are you to recommend us?",)))
    assert [(s.speaker, s.text) for s in result.segments] == [
        ("SPEAKER_00", "How likely?"), ("SPEAKER_01", "Eight, because..."),
    ]
    assert {s.id: s.role for s in result.speakers} == {"SPEAKER_00": "interviewer", "SPEAKER_01": "respondent"}


def test_without_diarization_segments_keep_no_speaker(tmp_path):
    result = transcribe(_split_stereo(tmp_path / "call.wav"), engine=TwoTurnEngine())
    assert [s.speaker for s in result.segments] == [None] and result.speakers == []


def test_pyannote_runs_beside_asr_and_reports_from_the_callers_thread(tmp_path, monkeypatch):
    import threading
    import wave

    import numpy as np

    from transcription import pipeline
    from transcription.schema import Turn

    path = tmp_path / "mono.wav"
    tone = (0.1 * np.sin(np.linspace(0, 2000, 16000 * 10))).astype(np.float32)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        out.writeframes((tone * 32767).astype("<i2").tobytes())
    started, seen = threading.Event(), {}

    def fake_diarization(audio, options, report):
        seen["diarization"] = threading.current_thread().name
        report("diarizing", 1, 2)  # must not reach the caller's hook from this thread
        started.set()
        return [Turn(0.0, 5.0, "SPEAKER_00"), Turn(5.0, 10.0, "SPEAKER_01")]

    class WaitingEngine(TwoTurnEngine):
        def transcribe(self, audio, *, language, progress):
            # Diarization starts while ASR is still running.
            assert started.wait(10)
            seen["asr"] = threading.current_thread().name
            return super().transcribe(audio, language=language, progress=progress)

    monkeypatch.setattr(pipeline, "_pyannote_turns", fake_diarization)
    steps = []
    result = transcribe(path, engine=WaitingEngine(), speakers=SpeakerOptions(diarize=True, num_speakers=2),
                        progress=lambda *step: steps.append((*step, threading.current_thread().name)))
    assert seen["diarization"] != seen["asr"] == threading.current_thread().name
    assert {name for *_, name in steps} == {threading.current_thread().name}
    names = [step for step, *_ in steps]
    assert names.index("diarizing") > max(i for i, n in enumerate(names) if n == "decoding")
    assert ("diarizing", 1, 2) not in [tuple(s[:3]) for s in steps]
    assert [s.speaker for s in result.segments] == ["SPEAKER_00", "SPEAKER_01"]
