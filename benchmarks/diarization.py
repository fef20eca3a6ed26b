"""Speaker diarization benchmark: DER and speed (`make bench-diarization`).

DER with pyannote.metrics (skip_overlap=False, over the whole file) at collar=0.5
(0.25 s forgiven each side of a reference boundary, "collar 0.25 s") and collar=0, on
../shared/data/diarization: sample.wav and falcon_test.wav against their RTTMs, each
wide-band and through the simulated phone line of benchmarks/_audio.py, each with the
known speaker count and with automatic counting; and the split-stereo call
stereo/stereo_two_channels.wav through `diarize_channels`, against a reference derived
from each channel's energy (see `energy_reference`), plus the same file mixed to mono
through pyannote for comparison. Then the ten AMI meeting excerpts of ami/ (a stand-in
for focus groups), scored inside ami/train.uem, with the count given and with bounds 2-6
(see `ami_section`).

    python -m benchmarks.diarization
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np

from benchmarks._audio import PHONE_CHANNELS, SAMPLE_RATE, TELEPHONE_DESCRIPTION, telephone
from benchmarks._load import LoadSampler
from benchmarks._report import SHARED_DATA, machine, markdown_table, record

if TYPE_CHECKING:
    from pyannote.core import Annotation

    from transcription.schema import Turn

T = TypeVar("T")
P = ParamSpec("P")

TITLE = "Speaker diarization"
DATA = SHARED_DATA / "diarization"
FILES = (("sample", 2), ("falcon_test", 3))
STEREO = DATA / "stereo" / "stereo_two_channels.wav"
COLLARS = (0.5, 0.0)  # pyannote's collar is the total width: 0.5 = 0.25 s each side

TARGET_WIDEBAND = 0.05
TARGET_TELEPHONE = 0.12  # two speakers, count given
TARGET_STEREO = 0.01  # "about 0 %"
TARGET_THREE_ON_PHONE = 0.25  # three speakers, count given, on any phone channel

AMI = DATA / "ami"
AMI_NAMES = tuple(f"trn{i:02d}" for i in range(10))
# Settings were chosen on these five and the other five kept as a held-out check.
AMI_TUNE = AMI_NAMES[:5]
AMI_BOUNDS = (2, 6)
TARGET_AMI_GIVEN = 0.20
TARGET_AMI_BOUNDS = 0.25

# Reference for the split-stereo file: speech where a channel's 20 ms frame energy is
# 8 dB above that channel's noise floor (10th percentile of its non-silent frames) and
# within 40 dB of its loudest frame; pauses under 0.3 s are bridged, blips under 0.1 s dropped.
_FRAME = 0.02
_FLOOR_MARGIN_DB = 8.0
_PEAK_RANGE_DB = 40.0
_BRIDGE = 0.3
_MIN_SPAN = 0.1


def read_rttm(path: Path) -> Annotation:
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=path.stem)
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) < 8 or fields[0] != "SPEAKER":
            continue
        start, duration = float(fields[3]), float(fields[4])
        annotation[Segment(start, start + duration)] = fields[7]
    return annotation


def to_annotation(turns: Sequence[Turn], uri: str) -> Annotation:
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=uri)
    for i, turn in enumerate(turns):
        if turn.end > turn.start:
            annotation[Segment(turn.start, turn.end), i] = turn.speaker
    return annotation


def rttm_lines(annotation: Annotation) -> list[str]:
    return [
        f"SPEAKER {annotation.uri} 1 {seg.start:.3f} {seg.duration:.3f} <NA> <NA> {label} <NA> <NA>"
        for seg, _, label in annotation.itertracks(yield_label=True)
    ]


def read_uem(path: Path) -> dict[str, Any]:
    """Scored regions per file: `uri channel start end` lines -> {uri: Timeline}."""
    from pyannote.core import Segment, Timeline

    regions: dict[str, list[Any]] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 4:
            regions.setdefault(fields[0], []).append(Segment(float(fields[2]), float(fields[3])))
    return {uri: Timeline(segments, uri=uri) for uri, segments in regions.items()}


def der_parts(detail: Mapping[str, float]) -> dict[str, float]:
    """DER and its parts (as fractions of reference speech) from pyannote's components."""
    total = detail["total"] or 1.0
    return {
        "der": (detail["missed detection"] + detail["false alarm"] + detail["confusion"]) / total,
        "miss": detail["missed detection"] / total,
        "false_alarm": detail["false alarm"] / total,
        "confusion": detail["confusion"] / total,
    }


def der(reference: Annotation, hypothesis: Annotation, duration: float, collar: float) -> dict[str, float]:
    """DER and its parts (as fractions of reference speech) over [0, duration]."""
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    detail = metric(reference, hypothesis, uem=Timeline([Segment(0, duration)]), detailed=True)
    total = detail["total"] or 1.0
    return {
        "der": float(detail["diarization error rate"]),
        "miss": detail["missed detection"] / total,
        "false_alarm": detail["false alarm"] / total,
        "confusion": detail["confusion"] / total,
    }


def energy_spans(channel: np.ndarray, sample_rate: int = SAMPLE_RATE) -> list[tuple[float, float]]:
    """Speech spans of one channel by an energy threshold relative to its own floor and peak."""
    hop = int(_FRAME * sample_rate)
    n = len(channel) // hop
    frames = channel[: n * hop].reshape(n, hop).astype(np.float64)
    db = 10 * np.log10((frames**2).mean(axis=1) + 1e-10)
    sounding = db[db > -90]  # leave digital silence out of the noise floor
    if len(sounding) == 0:
        return []
    threshold = max(np.percentile(sounding, 10) + _FLOOR_MARGIN_DB, db.max() - _PEAK_RANGE_DB)
    active = np.concatenate([[0], (db > threshold).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(active))
    spans: list[list[float]] = []
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        s, e = start * _FRAME, end * _FRAME
        if spans and s - spans[-1][1] < _BRIDGE:
            spans[-1][1] = e
        else:
            spans.append([s, e])
    return [(s, e) for s, e in spans if e - s >= _MIN_SPAN]


def energy_reference(stereo: np.ndarray, uri: str) -> Annotation:
    """One speaker per channel: channel 0 is "left", channel 1 "right"."""
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=uri)
    for channel, name in zip(stereo, ("left", "right"), strict=True):
        for s, e in energy_spans(channel):
            annotation[Segment(s, e)] = name
    return annotation


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _parts(scores: dict[str, float]) -> str:
    return f"{_pct(scores['miss'])} / {_pct(scores['false_alarm'])} / {_pct(scores['confusion'])}"


def _timed(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> tuple[T, float]:
    start = time.perf_counter()
    value = func(*args, **kwargs)
    return value, time.perf_counter() - start


def main() -> None:
    machine_line = machine()
    with LoadSampler(every=5.0) as load:
        body = measure(load)
    record(TITLE, body.replace("{LOAD}", load.summary()), machine_line=machine_line)


def measure(load: LoadSampler) -> str:
    from transcription.audio import load_audio
    from transcription.diarization import (
        diarize,
        diarize_channels,
        is_telephone_band,
        load_models,
        looks_like_split_stereo,
    )

    start = time.perf_counter()
    load_models()
    sample = load_audio(DATA / "sample.wav", sample_rate=SAMPLE_RATE)
    diarize(sample[: 10 * SAMPLE_RATE], num_speakers=2)  # the first call is slower
    load_seconds = time.perf_counter() - start

    rows: list[list[Any]] = []
    notes: list[str] = []

    def add_row(file: str, condition: str, given: int | str | None, reference: Annotation, turns: Sequence[Turn],
                seconds: float, duration: float, target: float | None) -> None:
        hypothesis = to_annotation(turns, reference.uri)
        tight, loose = der(reference, hypothesis, duration, 0.0), der(reference, hypothesis,
                                                                       duration, 0.5)
        found = len(hypothesis.labels())
        ok = None if target is None else loose["der"] <= target
        rows.append([
            file, condition,
            given if isinstance(given, str)
            else f"given {given}" if given else f"auto (true {len(reference.labels())})",
            found, _pct(loose["der"]), _pct(tight["der"]),
            f"{_pct(loose['miss'])} / {_pct(loose['false_alarm'])} / {_pct(loose['confusion'])}",
            f"{seconds / duration:.3f}",
            "—" if target is None else f"≤ {100 * target:.0f} %",
            "—" if ok is None else ("yes" if ok else "**no**"),
        ])
        print(f"  {file} {condition} {given or 'auto'}: DER {loose['der']:.3f} "
              f"({found} speakers, {seconds:.1f} s)", flush=True)

    for name, speakers in FILES:
        audio = load_audio(DATA / f"{name}.wav", sample_rate=SAMPLE_RATE)
        duration = len(audio) / SAMPLE_RATE
        reference = read_rttm(DATA / f"{name}.rttm")
        reference.uri = name
        for condition in ("wideband", "telephone"):
            signal = audio if condition == "wideband" else telephone(audio)
            if condition == "wideband" and is_telephone_band(signal):
                notes.append(f"`is_telephone_band` already calls the original {name}.wav "
                             "phone-band (little energy above 4 kHz): its \"wideband\" rows "
                             "are a narrow-band recording.")
            for given in (speakers, None):
                turns, seconds = _timed(diarize, signal, num_speakers=given)
                if condition == "wideband":
                    target: float | None = TARGET_WIDEBAND
                else:
                    target = TARGET_TELEPHONE if given == 2 else None
                add_row(f"{name}.wav", condition, given, reference, turns, seconds, duration,
                        target)

    channel_rows_start = len(rows)
    for name, speakers in FILES:
        audio = load_audio(DATA / f"{name}.wav", sample_rate=SAMPLE_RATE)
        duration = len(audio) / SAMPLE_RATE
        reference = read_rttm(DATA / f"{name}.rttm")
        reference.uri = name
        for channel, simulate in PHONE_CHANNELS:
            signal = simulate(audio)
            for given in (speakers, None):
                turns, seconds = _timed(diarize, signal, num_speakers=given)
                target = None if given is None else (
                    TARGET_TELEPHONE if given == 2 else TARGET_THREE_ON_PHONE)
                add_row(f"{name}.wav", channel, given, reference, turns, seconds, duration,
                        target)
    channel_rows = rows[channel_rows_start:]
    del rows[channel_rows_start:]

    stereo = load_audio(STEREO, sample_rate=SAMPLE_RATE, mono=False)
    duration = stereo.shape[1] / SAMPLE_RATE
    reference = energy_reference(stereo, "stereo_two_channels")
    split = looks_like_split_stereo(stereo)
    turns, seconds = _timed(diarize_channels, stereo)
    add_row(STEREO.name, "split stereo, `diarize_channels`", "one per channel", reference,
            turns, seconds, duration, TARGET_STEREO)
    mixed = stereo.mean(axis=0).astype(np.float32)
    for given in (2, None):
        turns, seconds = _timed(diarize, mixed, num_speakers=given)
        add_row(STEREO.name, "mixed to mono, pyannote", given, reference, turns, seconds,
                duration, None)

    overlap = reference.get_overlap().duration()
    speech = reference.get_timeline().support().duration()
    intro = (
        "Data: ../shared/data/diarization (see its README): `sample.wav` (30 s, 2 speakers "
        "with some overlap) and `falcon_test.wav` (18.6 s, 3 speakers, coarse reference "
        "segments) against their RTTM files, each as recorded (\"wideband\") and through a "
        f"simulated phone line ({TELEPHONE_DESCRIPTION}; benchmarks/_audio.py), each with the "
        "speaker count given and counted automatically. `transcription.diarization.diarize` "
        "runs with its defaults (pyannote segmentation-3.0, CAM++ embeddings, agglomerative "
        "clustering, one torch thread; on phone-band audio, exclusive turns and, with two "
        "speakers given, centred embeddings; with three given, as for any group, the count "
        "bounds the clustering (2 to 3), segmentation hops 2.5 s instead of 5 s and "
        "overlaps are kept). DER is pyannote.metrics' "
        "DiarizationErrorRate with skip_overlap=False over the whole file, at collar 0.25 s "
        "(pyannote's `collar=0.5`, which forgives 0.25 s each side of a reference boundary) "
        "and with no collar; miss / false alarm / confusion are its parts at collar 0.25 s. "
        "RTF = seconds of processing per second of audio, with the models already loaded and "
        f"warmed up (loading both models and a 10 s warm-up call took {load_seconds:.1f} s). "
        "falcon_test.rttm was built from coarse segments, so its collar-0 figure says more "
        "about the reference than about the system."
        + ("" if not notes else " " + " ".join(notes))
        + "\n\n"
        "Stereo: `stereo_two_channels.wav` (5 s, one reader per channel, the two reading at "
        "the same time) has no published timing, so its reference was derived from the file "
        "itself, independently of the Silero VAD that `diarize_channels` uses: per channel, "
        "speech where the 20 ms frame energy is 8 dB above that channel's noise floor (10th "
        "percentile of its non-silent frames) and within 40 dB of its loudest frame, pauses "
        "under 0.3 s bridged, blips under 0.1 s dropped; channel = speaker. That gives "
        f"{speech:.1f} s of speech of which {overlap:.1f} s overlapped: "
        + "; ".join(
            f"{label} " + ", ".join(f"{s.start:.2f}-{s.end:.2f} s"
                                    for s in reference.label_timeline(label))
            for label in reference.labels()
        )
        + f". `looks_like_split_stereo` says {split} for this file. The same file mixed to "
        "mono and diarized by pyannote is shown against the same reference, to show what "
        "channel diarization saves."
        " `diarize_channels` trims the edges of Silero's spans that lie within 6 dB of the "
        "channel's noise floor; that is close to how this reference was drawn, so its 0 % "
        "partly reflects the shared method (before the trim: 2.0 %, the 0.34 s of silence "
        "Silero ran on into at the end of the file).\n\n"
        "Targets (on DER at collar 0.25 s): ≤ 5 % on wide-band audio, ≤ 12 % on phone audio "
        "with two speakers and the count given, about 0 % (≤ 1 %) for split stereo; rows "
        "marked — have no target (three speakers on the phone, comparison rows).\n\n"
        "Machine load: {LOAD} (sampled every 5 s; this benchmark itself accounts for about "
        "1); other work may run concurrently here, so RTF can be pessimistic."
    )
    headers = ["file", "condition", "speakers", "found speakers", "DER collar 0.25 s",
               "DER collar 0", "miss / FA / confusion (0.25 s)", "RTF", "target", "met?"]
    channels = (
        "### Phone channels\n\n"
        "The same two files through five simulations of a real line (benchmarks/_audio.py): "
        "the Butterworth line above; `sox in.wav -r 8000 -e u-law out.wav sinc 300-3400` (a "
        "steep band-pass: real lines keep nothing below 300 Hz); GSM full rate (sox writes "
        "`.gsm`); Opus at 8 kHz and 8 kbit/s (PyAV's libopus); white noise at 15 dB SNR "
        "before the sox line. sox runs with `-D` (no dither: with sox's default random "
        "dither, one GSM row moved between 0.9 % and 2.6 % from run to run). "
        "Targets: two speakers with the count given ≤ 12 %, three "
        "speakers with the count given ≤ 25 %, on every channel.\n\n"
        + markdown_table(headers, channel_rows))
    return (intro + "\n\n" + markdown_table(headers, rows) + "\n\n" + channels + "\n\n"
            + ami_section())


def ami_runs() -> dict[tuple[str, str], dict[str, Any]]:
    """Diarize each AMI excerpt with the count given and with bounds 2-6.

    Returns {(name, "given" | "bounds"): {"reference", "hypothesis", "uem", "seconds"}}.
    """
    from transcription.audio import load_audio
    from transcription.diarization import diarize

    uems = read_uem(AMI / "train.uem")
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    for name in AMI_NAMES:
        audio = load_audio(AMI / f"{name}.wav", sample_rate=SAMPLE_RATE)
        reference = read_rttm(AMI / f"{name}.rttm")
        reference.uri = name
        for mode in ("given", "bounds"):
            options = ({"num_speakers": len(reference.labels())} if mode == "given" else
                       {"min_speakers": AMI_BOUNDS[0], "max_speakers": AMI_BOUNDS[1]})
            turns, seconds = _timed(diarize, audio, **options)
            runs[name, mode] = {"reference": reference, "hypothesis": to_annotation(turns, name),
                                "uem": uems[name], "seconds": seconds,
                                "duration": len(audio) / SAMPLE_RATE}
            print(f"  AMI {name} {mode}: {len(runs[name, mode]['hypothesis'].labels())} "
                  f"speakers, {seconds:.1f} s", flush=True)
    return runs


def ami_scores(runs: dict[tuple[str, str], dict[str, Any]], names: Sequence[str], mode: str,
               collar: float) -> dict[str, float]:
    """Pooled DER over `names` (errors summed over files, divided by summed reference speech)."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    for name in names:
        run = runs[name, mode]
        metric(run["reference"], run["hypothesis"], uem=run["uem"])
    return der_parts(metric)


def ami_section(runs: dict[tuple[str, str], dict[str, Any]] | None = None) -> str:
    runs = runs if runs is not None else ami_runs()
    held = [name for name in AMI_NAMES if name not in AMI_TUNE]
    rows: list[list[Any]] = []
    for mode, target in (("given", TARGET_AMI_GIVEN), ("bounds", TARGET_AMI_BOUNDS)):
        speakers = ("count given" if mode == "given"
                    else f"bounds {AMI_BOUNDS[0]}-{AMI_BOUNDS[1]}")
        groups = [(name, [name], None) for name in AMI_NAMES] + [
            ("**pooled, tuning half** (trn00-04)", list(AMI_TUNE), target),
            ("**pooled, held-out half** (trn05-09)", held, target),
            ("**pooled, all ten**", list(AMI_NAMES), target),
        ]
        for label, names, goal in groups:
            loose = ami_scores(runs, names, mode, 0.5)
            tight = ami_scores(runs, names, mode, 0.0)
            true = sum(len(runs[n, mode]["reference"].labels()) for n in names)
            found = sum(len(runs[n, mode]["hypothesis"].labels()) for n in names)
            speech = sum(runs[n, mode]["reference"].get_timeline().support().duration()
                         for n in names)
            overlap = sum(runs[n, mode]["reference"].get_overlap().duration() for n in names)
            seconds = sum(runs[n, mode]["seconds"] for n in names)
            duration = sum(runs[n, mode]["duration"] for n in names)
            ok = None if goal is None else loose["der"] <= goal
            rows.append([
                label, speakers, true,
                found, f"{speech:.1f} s ({overlap:.1f} s)",
                _pct(loose["der"]), _pct(tight["der"]),
                _parts(loose), _parts(tight),
                f"{seconds / duration:.3f}",
                "—" if goal is None else f"≤ {100 * goal:.0f} %",
                "—" if ok is None else ("yes" if ok else "**no**"),
            ])
    headers = ["excerpt", "speakers", "true speakers", "found speakers", "speech (overlapped)",
               "DER collar 0.25 s", "DER collar 0", "miss / FA / confusion (0.25 s)",
               "miss / FA / confusion (collar 0)", "RTF", "target", "met?"]
    return (
        "### Meetings (AMI excerpts, a stand-in for focus groups)\n\n"
        "Data: ../shared/data/diarization/ami, ten 30 s excerpts of real AMI meetings "
        "(16 kHz mono, as pyannote-audio keeps them for its tests), each with its RTTM (1 to 4 "
        "speakers, overlapping speech) and `train.uem`. Each excerpt is diarized with the "
        "number of speakers in its RTTM given (`num_speakers`) and with bounds "
        f"(`min_speakers={AMI_BOUNDS[0]}, max_speakers={AMI_BOUNDS[1]}`). DER is "
        "pyannote.metrics' DiarizationErrorRate (skip_overlap=False) scored inside the UEM, "
        "at collar 0.25 s (`collar=0.5`) and with no collar, the way pyannote publishes its "
        "AMI figures (about 19 % for its 3.x pipelines on the whole AMI test set, headset "
        "mix; these excerpts are far harder: most hold one main voice with short "
        "interjections by the others). Pooled rows sum the errors of their excerpts over "
        "their summed reference speech. Targets (pooled, collar 0.25 s): count given ≤ 20 %, "
        "bounds 2-6 ≤ 25 %.\n\n"
        "Protocol: every setting chosen for meetings (segmentation hop, the embedding filter, "
        "how a given count bounds the clustering, overlaps kept) was chosen on trn00-04 only "
        "(the tuning half); trn05-09 were only scored, as a held-out check, since the product "
        "is checked on meeting excerpts nobody here has. The tuning half is the harder one: "
        "trn01 and trn02 hold 3.3 s and 0.7 s of speech in 30 s, trn03 one voice for 29 s.\n\n"
        "Why trn01 and trn02 look empty: not the format (16 kHz, DC offset about 1e-4; "
        "trn01's RMS level 0.012 is like the others', trn02's 0.003 is nearly all "
        "silence) nor the UEM (all 30 s of every excerpt). trn02's one reference word (0.7 s) is found, only its edges "
        "differ (0 % at collar 0.25 s, 46 % at collar 0). trn01's six reference turns are "
        "0.4 to 1.5 s of far-field voices under a low hum (most of the file's energy lies "
        "below 150 Hz); the segmentation model gives them a speech probability under 0.4, "
        "so nothing is found. Far-field room audio keeps little above 4 kHz, so "
        "`is_telephone_band` calls trn01-03 phone band: before, that made their turns "
        "exclusive; a group now keeps its overlaps.\n\n"
        "What is left is mostly missed speech, most of it in overlaps (on the held-out half "
        "about 24 s of the missed speech lies where the reference has two or more voices, "
        "8 s where it has one) and in quiet voices (trn07). Measured on the tuning half "
        "(count given, collar 0.25 s; 15.7 % with the settings above) and not adopted: "
        "biasing the segmentation's powerset output towards speech (15.8 to 18.5 %), "
        "rounding the frame-level speaker count up (15.9 to 16.3 %), centring the "
        "embeddings on the file's mean (22.6 %: the main voice is most of the mean), "
        "clustering thresholds 0.6 (22.1 %) and 0.8-0.9 or average linkage (no change), "
        "merging pauses under 0.5-1 s (no gain), a per-half-second gain normalisation "
        "before segmentation (worse with the earlier clustering), and favouring the "
        "overlap classes (15.6 %, within noise: this half holds 7.5 s of overlap, too "
        "little to choose on).\n\n"
        + markdown_table(headers, rows))


if __name__ == "__main__":
    main()
