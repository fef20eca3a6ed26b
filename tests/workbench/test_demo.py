"""The demo study: its scripts have the shape the product needs, its recordings decode, and it loads."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from transcription.audio import probe_audio
from workbench.demo import DEMO_DIR, demo_study, load_demo
from workbench.services import interviews as interview_service

SPEC = json.loads((DEMO_DIR / "study.json").read_text(encoding="utf-8"))
INTERVIEWS = SPEC["interviews"]

# How the rating questions are asked, and the numbers a respondent may answer with.
ASKED = {"nps": {"it": "da zero a dieci", "en": "from zero to ten"},
         "csat": {"it": "da uno a cinque", "en": "from one to five"}}
NUMBERS = {
    "it": ["zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove", "dieci"],
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"],
}
SCALES = {"nps": range(11), "csat": range(1, 6)}


def test_both_languages_have_at_least_four_interviews():
    assert Counter(item["language"] for item in INTERVIEWS) >= Counter({"it": 4, "en": 4})


@pytest.mark.parametrize("field", ["segment", "region"])
def test_every_segment_and_region_has_at_least_two_interviews(field):
    counts = Counter(item[field] for item in INTERVIEWS)
    assert min(counts.values()) >= 2, counts


@pytest.mark.parametrize("item", INTERVIEWS, ids=lambda item: Path(item["audio"]).stem)
def test_each_call_alternates_two_parties_and_answers_both_ratings(item):
    speakers = [speaker for speaker, _ in item["script"]]
    assert speakers == ["interviewer", "respondent"] * (len(speakers) // 2)
    language = item["language"]
    for scale, asked in ASKED.items():
        questions = [i for i, (speaker, text) in enumerate(item["script"])
                     if speaker == "interviewer" and asked[language] in text.lower()]
        assert len(questions) == 1, (scale, questions)
        answer = item["script"][questions[0] + 1][1].lower()
        said = {n for n, word in enumerate(NUMBERS[language]) if re.search(rf"\b{word}\b", answer)}
        assert said & set(SCALES[scale]), (scale, answer)


def test_the_metadata_is_what_an_upload_accepts():
    for item in INTERVIEWS:
        meta = {k: v for k, v in item.items() if k in interview_service.META_FIELDS}
        assert interview_service.parse_meta(meta).language == item["language"]


@pytest.mark.parametrize("item", INTERVIEWS, ids=lambda item: Path(item["audio"]).stem)
def test_each_recording_decodes_and_lasts_about_as_long_as_its_script(item):
    info = probe_audio(DEMO_DIR / item["audio"])
    words = sum(len(text.split()) for _, text in item["script"])
    # Read aloud at 100-250 words a minute, plus the pauses between turns.
    assert words / 250 * 60 <= info.duration <= words / 100 * 60 + len(item["script"])
    assert info.channels == (2 if item["audio"].endswith(".flac") else 1)


def test_the_demo_recordings_stay_small():
    assert sum((DEMO_DIR / item["audio"]).stat().st_size for item in INTERVIEWS) < 6 * 1024 * 1024


def test_load_demo_creates_the_study_with_every_interview_once(session, settings):
    job_ids = load_demo(session, settings)
    assert job_ids is not None and len(job_ids) == len(INTERVIEWS)
    study = demo_study(session)
    assert study is not None
    stored = interview_service.list_interviews(session, study_id=study.id)
    assert sorted((i.account, i.segment, i.language) for i in stored) == sorted(
        (item["account"], item["segment"], item["language"]) for item in INTERVIEWS)
    assert load_demo(session, settings) is None
