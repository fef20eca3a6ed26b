"""benchmarks/demo.py's speaker attribution: transcript words aligned to the script's (pure, fast)."""

from __future__ import annotations

from benchmarks._wer import normalise
from benchmarks.demo import attribution, script_words, transcript_words

SCRIPT = [["interviewer", "How likely are you to recommend us?"], ["respondent", "Nine, I'd say."]]


def test_every_matched_word_in_the_right_party_scores_all():
    reference = script_words(SCRIPT, "en")
    hypothesis = transcript_words([("How likely are you to recommend us?", "interviewer"),
                                   ("Nine, I'd say.", "respondent")], "en")
    assert attribution(reference, hypothesis) == (10, 10)


def test_words_given_to_the_wrong_party_count_against_and_misheard_words_are_left_out():
    reference = script_words(SCRIPT, "en")
    # The first segment swallows the answer's first word; "recommend" is misheard.
    hypothesis = transcript_words([("How likely are you to recommand us? Nine,", "interviewer"),
                                   ("I'd say.", "respondent")], "en")
    right, matched = attribution(reference, hypothesis)
    assert matched == 9  # "recommand" matches nothing
    assert right == 8  # "nine" sits with the interviewer


def test_numbers_are_compared_as_words_in_both_languages():
    reference = script_words([["respondent", "Direi un 8."]], "it")
    hypothesis = transcript_words([("direi un otto", "respondent")], "it")
    assert attribution(reference, hypothesis) == (3, 3)


def test_names_heard_counts_only_names_the_script_says():
    from benchmarks.demo import names_heard

    script = normalise("Buongiorno, sono Marco Ferri di Sirio Logistica. Parlo con Edilnord?", "it")
    heard = normalise("Buongiorno sono Marco Ferri di Serio logistica, parlo con Edil Nord?", "it")
    names = ["Marco Ferri", "Sirio Logistica", "Edilnord", "Brightwell Medical", ""]
    assert names_heard(names, script, heard, "it") == (1, 3)
