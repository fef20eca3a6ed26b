"""`perche transcribe` end to end with the real models (-m 'not models' skips it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.settings import get_settings

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "diarization" / "sample.wav"

pytestmark = pytest.mark.models


def test_sample_wav_two_speakers_scores_der_below_5_percent(tmp_path, monkeypatch):
    from pyannote.database.util import load_rttm
    from pyannote.metrics.diarization import DiarizationErrorRate

    if not SAMPLE.is_file():
        pytest.skip(f"shared data not found at {SAMPLE}")
    monkeypatch.setenv("PERCHE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PERCHE_MODEL_CACHE", os.environ.get("PERCHE_MODEL_CACHE") or str(tmp_path / "models"))
    monkeypatch.setenv("PERCHE_ASR_ENGINE", "faster-whisper")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["transcribe", str(SAMPLE), "--speakers", "2", "--language", "en",
                                          "--json", str(tmp_path / "out.json"), "--rttm", str(tmp_path / "out.rttm")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out.json").read_text())
    assert len(data["speakers"]) == 2
    assert {s["speaker"] for s in data["segments"]} == {s["id"] for s in data["speakers"]}
    assert "hello" in " ".join(s["text"] for s in data["segments"]).lower()
    reference = load_rttm(str(SAMPLE.with_suffix(".rttm")))["sample"]
    hypothesis = load_rttm(str(tmp_path / "out.rttm"))["sample"]
    der = DiarizationErrorRate(collar=0.5)(reference, hypothesis, uem=reference.get_timeline().extent())
    assert der <= 0.05, f"DER {der:.1%} on sample.wav"
